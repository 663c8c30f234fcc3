import { API_PREFIX } from "../../app-info";
import { ErrorSchema, errors, json, jsonBody } from "../../lib/openapi";
import { listOf, pageOf } from "../../lib/pagination";
import { assertSameOrigin } from "../../middleware/authenticate";
import { rateLimit } from "../../middleware/rate-limit";
import { createRouter, guardedRoute } from "../../middleware/route";
import { conversationHistory, ownConversations, sendMessage } from "./chat-service";
import { ChatErrors } from "./errors";
import { ConversationList, ConversationsQuery, HistoryList, HistoryQuery, SendBody, SendEnvelope } from "./schemas";
import {
  SOCKET_MAX_MESSAGE_BYTES,
  SOCKET_MESSAGES_PER_MINUTE,
  SOCKET_SESSION_HEADER,
  SOCKET_USER_HEADER,
  SOCKETS_PER_USER,
} from "./socket";

const tags = ["Chat"];
const CHAT = `${API_PREFIX}/chat`;

const GROUNDING =
  "Answers come from the platform's data that the caller may see: the training catalog and its free seats (`trainings:read`, as `GET /trainings`), the caller's own registrations and progress, another user's progress (`progress:read`), the figures of the reports (`reports:read`). With the `AI` binding (Workers AI) a model phrases the answer from that data; without it, or when the model fails, a built-in answerer handles counts, trends between periods, the most popular trainings, free seats, my progress and my registrations, and otherwise says what it can answer. Every answer ends with the data it used (also in `sources`).";

/** Chat (Synapse): questions answered from the platform's own data, over REST and a WebSocket. */
export const chatRoutes = createRouter()
  .openapi(
    guardedRoute({
      method: "post",
      path: `${CHAT}/send`,
      tags,
      summary: "Ask a question",
      description: `Stores the question and its answer in \`conversation_id\` (another user's, or an unknown one, is 404 \`CONVERSATION_NOT_FOUND\`) or in a new conversation. \`message\`: 1 to 2000 characters after trimming (else 422). At most \`RATE_LIMIT_CHAT_PER_MINUTE\` (20) questions per user per minute, else 429. ${GROUNDING}`,
      permission: "authenticated",
      middleware: [rateLimit({ group: "chat", key: "user" })],
      request: { body: jsonBody(SendBody) },
      responses: { 200: json(SendEnvelope, "The answer"), ...errors(404) },
    }),
    async (c) => c.json({ data: await sendMessage(c.get("deps"), c.get("auth"), c.req.valid("json")) }, 200),
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${CHAT}/history`,
      tags,
      summary: "A conversation's messages, oldest first",
      description:
        "Only the caller's own conversations: another user's, or an unknown one, is 404 `CONVERSATION_NOT_FOUND`.",
      permission: "authenticated",
      request: { query: HistoryQuery },
      responses: { 200: json(HistoryList, "A page of the conversation's messages"), ...errors(404) },
    }),
    async (c) => {
      const { conversation_id, ...paging } = c.req.valid("query");
      const page = pageOf(paging);
      const { rows, total } = await conversationHistory(c.get("deps"), c.get("auth"), conversation_id, page);
      return c.json({ conversation_id, ...listOf("messages", rows, total, page) }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${CHAT}/conversations`,
      tags,
      summary: "The caller's conversations, most recently active first",
      permission: "authenticated",
      request: { query: ConversationsQuery },
      responses: { 200: json(ConversationList, "A page of the caller's conversations") },
    }),
    async (c) => {
      const page = pageOf(c.req.valid("query"));
      const { rows, total } = await ownConversations(c.get("deps"), c.get("auth"), page);
      return c.json(listOf("conversations", rows, total, page), 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${CHAT}/connect`,
      tags,
      summary: "Chat over a WebSocket",
      description: `Upgrade with \`Upgrade: websocket\`, authenticated by bearer token or the \`access_token\` cookie (401 before the upgrade otherwise; with the cookie, a handshake whose \`Origin\` is neither this origin nor one of \`ALLOWED_ORIGINS\` is 403 \`CSRF_ORIGIN_REJECTED\`; 426 \`UPGRADE_REQUIRED\` without the header; 429 \`TOO_MANY_CONNECTIONS\` beyond ${SOCKETS_PER_USER} open sockets per user, once the sockets of the user's ended sessions have been closed with 4401). Send one JSON text message per question, \`{"message": "...", "conversation_id"?: 1}\`; each is answered by one JSON message, \`{"type": "answer", "data": {response, conversation_id, message_id, sources, answered_by}}\` (as \`POST /chat/send\`), or \`{"type": "error", "status", "code", "detail"}\`: \`MESSAGE_TOO_LARGE\` (over ${SOCKET_MAX_MESSAGE_BYTES} bytes), \`INVALID_MESSAGE\`, \`CHAT_RATE_LIMITED\` (over ${SOCKET_MESSAGES_PER_MINUTE} questions a minute per user, over all its sockets), \`CONVERSATION_NOT_FOUND\`, and \`SESSION_ENDED\` (the session was signed out or the account deactivated; the socket is then closed with code 4401). ${GROUNDING}`,
      permission: "authenticated",
      responses: {
        101: { description: "Switching Protocols: the WebSocket is open" },
        426: json(ErrorSchema, "Not a WebSocket upgrade"),
      },
    }),
    async (c) => {
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket") throw ChatErrors.UPGRADE_REQUIRED();
      // A handshake is a GET, which the cookie origin check lets through: without this, a page of another
      // origin could open a socket with the user's cookie and read the answers (cross-site WebSocket hijacking).
      if (c.get("auth").via === "cookie") assertSameOrigin(c.req.raw, c.get("deps").config.allowedOrigins);
      const sockets = c.get("deps").chatSockets;
      const stub = sockets.get(sockets.idFromName(`user:${c.get("auth").userId}`));
      // The identity comes from authenticate(), never from the client: the object trusts these headers
      // because only this Worker can reach it.
      return stub.fetch("https://chat-socket.internal/connect", {
        headers: {
          Upgrade: "websocket",
          [SOCKET_USER_HEADER]: String(c.get("auth").userId),
          [SOCKET_SESSION_HEADER]: c.get("auth").sessionId,
        },
      });
    },
  );
