import { API_PREFIX } from "../../app-info";
import { errors, json, MessageSchema } from "../../lib/openapi";
import { pageOf } from "../../lib/pagination";
import { createRouter, guardedRoute } from "../../middleware/route";
import { EndedSessions, SessionIdParam, SessionList, SessionListQuery } from "./schemas";
import { endSession, endSessions, listSessions } from "./session-list-service";

const SESSIONS = `${API_PREFIX}/auth/sessions`;
const tags = ["Sessions"];

/** The caller's own sessions: where it is signed in, and ending them. */
export const sessionRoutes = createRouter()
  .openapi(
    guardedRoute({
      method: "get",
      path: SESSIONS,
      tags,
      summary: "The caller's open sessions (where it is signed in)",
      description: "Most recently used first; `current` marks the session of this request.",
      permission: "authenticated",
      request: { query: SessionListQuery },
      responses: { 200: json(SessionList, "A page of sessions") },
    }),
    async (c) => {
      const auth = c.get("auth");
      const deps = c.get("deps");
      return c.json(await listSessions(deps, auth.userId, auth.sessionId, pageOf(c.req.valid("query"))), 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "delete",
      path: `${SESSIONS}/{session_id}`,
      tags,
      summary: "End one of the caller's sessions",
      description:
        "Its refresh and access tokens fail on their next request, as after a logout. Another user's session, or one already ended, is 404 `SESSION_NOT_FOUND`.",
      permission: "authenticated",
      request: { params: SessionIdParam },
      responses: { 200: json(MessageSchema, "Ended"), ...errors(404) },
    }),
    async (c) => {
      const auth = c.get("auth");
      const deps = c.get("deps");
      await endSession(deps, auth.userId, auth.userId, c.req.valid("param").session_id);
      return c.json({ message: "Session ended successfully" }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "delete",
      path: SESSIONS,
      tags,
      summary: "End every session of the caller but the current one",
      permission: "authenticated",
      responses: { 200: json(EndedSessions, "How many sessions were ended") },
    }),
    async (c) => {
      const auth = c.get("auth");
      const deps = c.get("deps");
      const ended = await endSessions(deps, auth.userId, auth.userId, auth.sessionId);
      return c.json({ ended, message: "Other sessions ended successfully" }, 200);
    },
  );
