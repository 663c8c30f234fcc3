import { defineErrors } from "../../lib/errors";

/** Every error code of chat: of its routes, and the error messages of its WebSocket. */
export const ChatErrors = defineErrors({
  CONVERSATION_NOT_FOUND: (id: number) => ({ status: 404, detail: `Conversation with id ${id} not found` }),
  /** `GET /chat/connect` without `Upgrade: websocket`. */
  UPGRADE_REQUIRED: () => ({ status: 426, detail: "This endpoint is a WebSocket: send Upgrade: websocket" }),
  /** WebSocket: a message over the size limit. */
  MESSAGE_TOO_LARGE: (max: number) => ({ status: 413, detail: `A message may be at most ${max} bytes` }),
  /** WebSocket: a message that is not `{"message": "...", "conversation_id"?: n}`. */
  INVALID_MESSAGE: (detail: string) => ({ status: 422, detail }),
  /** WebSocket: the per-connection rate was exceeded. */
  CHAT_RATE_LIMITED: (retryAfter: number) => ({
    status: 429,
    detail: `Too many questions this minute; try again in ${retryAfter} seconds`,
  }),
  /** WebSocket: the session that opened the socket has ended (logout, deactivation, expiry). */
  SESSION_ENDED: () => ({ status: 401, detail: "The session that opened this connection is no longer valid" }),
  /** WebSocket: the user has too many open connections. */
  TOO_MANY_CONNECTIONS: (max: number) => ({ status: 429, detail: `At most ${max} chat connections per user` }),
});
