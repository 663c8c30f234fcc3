import { loadAuthSubject } from "../../db/auth-subject";
import { runOne } from "../../db/statement";
import { isoAt } from "../../lib/clock";
import { AppError, HttpErrors } from "../../lib/errors";
import type { Deps } from "../../middleware/deps";
import { liveSessionIdsStatement } from "../sessions";
import { sendMessage } from "./chat-service";
import { ChatErrors } from "./errors";
import { SendBody, type SendResult } from "./schemas";

/**
 * The chat WebSocket's protocol, run by the `ChatSocket` Durable Object (src/durable/): the Worker
 * authenticates the upgrade request and hands the caller's identity to the object in headers that only
 * it can set (the object is reachable through its binding only); the object keeps it in the socket's
 * attachment, which survives hibernation.
 */

/** Headers the Worker sets on the request it forwards to the Durable Object. */
export const SOCKET_USER_HEADER = "X-Chat-User-Id";
export const SOCKET_SESSION_HEADER = "X-Chat-Session-Id";

/** Largest message accepted on the socket, in bytes (UTF-8). */
export const SOCKET_MAX_MESSAGE_BYTES = 8 * 1024;
/** Questions per user per minute, over all its sockets (the window outlives a reconnection). */
export const SOCKET_MESSAGES_PER_MINUTE = 10;
/** Open chat sockets per user (one Durable Object holds them all). */
export const SOCKETS_PER_USER = 5;

/** What a socket remembers between messages (`serializeAttachment`). */
export interface SocketState {
  userId: number;
  sessionId: string;
}

/** The user's question rate window: its start (epoch ms) and the questions counted in it. */
export interface RateWindow {
  startMs: number;
  count: number;
}

/**
 * Counts a question in `window` at `now`: the window to keep, and when over
 * `SOCKET_MESSAGES_PER_MINUTE` the seconds to wait (a refused question is not counted).
 */
export function countQuestion(
  window: RateWindow | undefined,
  now: number,
): { window: RateWindow; retryAfter?: number } {
  const fresh = !window || now - window.startMs >= 60_000;
  const startMs = fresh ? now : window.startMs;
  const count = (fresh ? 0 : window.count) + 1;
  if (count > SOCKET_MESSAGES_PER_MINUTE) {
    return {
      window: { startMs, count: count - 1 },
      retryAfter: Math.max(1, Math.ceil((startMs + 60_000 - now) / 1000)),
    };
  }
  return { window: { startMs, count } };
}

/**
 * Which of the sessions of `userId`'s open sockets are still live (one read): a socket whose session
 * ended (logout, expiry, deactivation) gives its slot up to a new connection.
 */
export async function liveSessionIds(deps: Deps, userId: number, sessionIds: readonly string[]): Promise<Set<string>> {
  const rows = await runOne(
    deps.d1,
    liveSessionIdsStatement(deps.d1, userId, [...new Set(sessionIds)], isoAt(deps.clock.now())),
  );
  return new Set(rows.map((r) => r.id));
}

/** The identity the Worker forwarded, or undefined when the request did not come from it. */
export function socketIdentity(headers: Headers): { userId: number; sessionId: string } | undefined {
  const userId = Number(headers.get(SOCKET_USER_HEADER));
  const sessionId = headers.get(SOCKET_SESSION_HEADER);
  return Number.isSafeInteger(userId) && userId > 0 && sessionId ? { userId, sessionId } : undefined;
}

/** The JSON messages the socket sends: one per answer, one per error. */
export type SocketReply =
  | { type: "answer"; data: SendResult }
  | { type: "error"; status: number; code: string; detail: string };

const errorReply = (err: AppError): SocketReply => ({
  type: "error",
  status: err.status,
  code: err.code,
  detail:
    typeof err.detail === "string" ? err.detail : err.detail.map((i) => `${i.loc.join(".")}: ${i.msg}`).join("; "),
});

/**
 * Answers one socket message `{"message": "...", "conversation_id"?: n}` as `POST /chat/send` does,
 * after the size limit, the user's question rate (`admit(now)` counts the question in the window the
 * Durable Object keeps for all the user's sockets and answers the seconds to wait when over it) and a
 * check that the session that opened the socket is still valid (a logout or deactivation ends the
 * socket: `close`).
 */
export async function answerSocketMessage(
  deps: Deps,
  state: SocketState,
  raw: string | ArrayBuffer,
  admit: (now: number) => Promise<number | undefined>,
): Promise<{ reply: SocketReply; close?: boolean }> {
  const bytes = typeof raw === "string" ? new TextEncoder().encode(raw).byteLength : raw.byteLength;
  if (bytes > SOCKET_MAX_MESSAGE_BYTES) {
    return { reply: errorReply(ChatErrors.MESSAGE_TOO_LARGE(SOCKET_MAX_MESSAGE_BYTES)) };
  }
  const now = deps.clock.now();
  const retryAfter = await admit(now);
  if (retryAfter !== undefined) return { reply: errorReply(ChatErrors.CHAT_RATE_LIMITED(retryAfter)) };
  const input = parseQuestion(raw);
  if (input instanceof AppError) return { reply: errorReply(input) };

  const subject = await loadAuthSubject(deps.d1, state.userId, state.sessionId, isoAt(now));
  if (!subject || subject.sessionRevoked || !subject.isActive) {
    return { reply: errorReply(ChatErrors.SESSION_ENDED()), close: true };
  }
  try {
    const data = await sendMessage(deps, { ...subject.context, via: "bearer" }, input);
    return { reply: { type: "answer", data } };
  } catch (err) {
    if (err instanceof AppError) return { reply: errorReply(err) };
    console.error(JSON.stringify({ level: "error", msg: "chat socket message failed", error: String(err) }));
    return { reply: errorReply(HttpErrors.INTERNAL_ERROR("Internal server error")) };
  }
}

/** The question of a socket message, or the error that refuses it. */
function parseQuestion(raw: string | ArrayBuffer) {
  if (typeof raw !== "string") return ChatErrors.INVALID_MESSAGE("Messages are JSON text, not binary");
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return ChatErrors.INVALID_MESSAGE('A message is JSON: {"message": "...", "conversation_id"?: 1}');
  }
  const parsed = SendBody.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return ChatErrors.INVALID_MESSAGE(
      issue ? `${issue.path.join(".") || "message"}: ${issue.message}` : "Invalid message",
    );
  }
  return parsed.data;
}
