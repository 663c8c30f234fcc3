import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../env";
import { systemClock } from "../lib/clock";
import { depsOf } from "../middleware/deps";
import {
  answerSocketMessage,
  ChatErrors,
  countQuestion,
  liveSessionIds,
  type RateWindow,
  SOCKETS_PER_USER,
  type SocketState,
  socketIdentity,
} from "../modules/chat";

/** Where the object keeps the user's question rate window (its storage outlives hibernation). */
const RATE_WINDOW_KEY = "rate-window";

/**
 * The chat WebSockets of one user (`CHAT_SOCKETS.idFromName("user:<id>")`), held with the hibernation
 * API: the object is evicted from memory while its sockets are idle and woken by the next message,
 * so idle sockets cost nothing. What each socket needs between messages (the caller's identity) is
 * its attachment; the user's question rate window, shared by all its sockets so that reconnecting
 * does not reset it, is in the object's storage. The protocol itself is the chat module's
 * (`answerSocketMessage`).
 * Reached only from `GET /api/v1/chat/connect` after authentication, which forwards the caller's id.
 */
export class ChatSocket extends DurableObject<Bindings> {
  /** Upgrades the request forwarded by the Worker; the caller's identity comes from its headers. */
  override async fetch(request: Request): Promise<Response> {
    const identity = socketIdentity(request.headers);
    if (!identity || request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Not a chat socket request", { status: 400 });
    }
    let open = this.ctx.getWebSockets();
    if (open.length >= SOCKETS_PER_USER) {
      // Sockets whose session has ended give their slots up (closed as at their next message).
      const states = open.map((ws) => ({ ws, state: ws.deserializeAttachment() as SocketState }));
      const live = await liveSessionIds(
        depsOf(this.env, systemClock),
        identity.userId,
        states.map((s) => s.state.sessionId),
      );
      // Counted again after the read, with nothing awaited until the accept below: a connection
      // that arrived meanwhile is counted, and a socket another one closed is closed once.
      open = [];
      for (const ws of this.ctx.getWebSockets()) {
        if (ws.readyState !== WebSocket.OPEN) continue;
        const { sessionId } = ws.deserializeAttachment() as SocketState;
        if (live.has(sessionId) || !states.some((s) => s.state.sessionId === sessionId)) open.push(ws);
        else ws.close(4401, "session ended");
      }
    }
    if (open.length >= SOCKETS_PER_USER) {
      const err = ChatErrors.TOO_MANY_CONNECTIONS(SOCKETS_PER_USER);
      return Response.json({ detail: err.detail, status: "error", code: err.code }, { status: err.status });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    const state: SocketState = identity;
    server.serializeAttachment(state);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** One question, one JSON answer (or error). */
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const deps = depsOf(this.env, systemClock);
    const { reply, close } = await answerSocketMessage(
      deps,
      ws.deserializeAttachment() as SocketState,
      message,
      (now) => this.admit(now),
    );
    ws.send(JSON.stringify(reply));
    if (close) ws.close(4401, "session ended");
  }

  /**
   * Counts a question in the user's window; the seconds to wait when over the rate. A read and a
   * write of the object's storage with nothing awaited between them: the object takes no other event
   * meanwhile, so two sockets' questions are both counted.
   */
  private async admit(now: number): Promise<number | undefined> {
    const { window, retryAfter } = countQuestion(await this.ctx.storage.get<RateWindow>(RATE_WINDOW_KEY), now);
    await this.ctx.storage.put(RATE_WINDOW_KEY, window);
    return retryAfter;
  }

  /** Completes the closing handshake the client began (1005/1006 are not codes one may send back). */
  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // The runtime already answered the close.
    }
  }
}
