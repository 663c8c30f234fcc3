import { API_PREFIX } from "../../../app-info";
import { errors, IdParam, json } from "../../../lib/openapi";
import { pageOf } from "../../../lib/pagination";
import { createRouter, guardedRoute } from "../../../middleware/route";
import { EndedSessions, endSessions, SessionList, SessionListQuery, sessionsRead } from "../../sessions";
import { changeableUser, changeableUserRead } from "./user-update-service";

const BASE = `${API_PREFIX}/users/{id}/sessions`;
const tags = ["Sessions"];
const RULE =
  "An unknown user is 404 `USER_NOT_FOUND`; a user who holds permissions the caller lacks is 403 `PRIVILEGE_ESCALATION`.";

/** An administrator's view of a user's sessions: list them, end them all. */
export const userSessionRoutes = createRouter()
  .openapi(
    guardedRoute({
      method: "get",
      path: BASE,
      tags,
      summary: "A user's open sessions",
      description: RULE,
      permission: "users:manage_access",
      request: { params: IdParam, query: SessionListQuery },
      responses: { 200: json(SessionList, "A page of the user's sessions"), ...errors(404) },
    }),
    async (c) => {
      const auth = c.get("auth");
      const deps = c.get("deps");
      const { id } = c.req.valid("param");
      // The user, its privileges and its sessions in one round trip; the sessions are answered only
      // once the caller is known to be allowed (otherwise dropped with the 404 or 403).
      const target = changeableUserRead(deps, auth, id, "users:manage_access");
      const current = id === auth.userId ? auth.sessionId : null;
      const sessions = sessionsRead(deps, id, current, pageOf(c.req.valid("query")));
      const [rows, grants, page, totals] = await deps.db.batch([...target.queries, ...sessions.queries]);
      target.judge(rows, grants);
      return c.json(sessions.list(page, totals), 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "delete",
      path: BASE,
      tags,
      summary: "End every open session of a user",
      description: `Its tokens fail on their next request. The caller's own current session is kept when it ends its own. ${RULE}`,
      permission: "users:manage_access",
      request: { params: IdParam },
      responses: { 200: json(EndedSessions, "How many sessions were ended"), ...errors(404) },
    }),
    async (c) => {
      const auth = c.get("auth");
      const deps = c.get("deps");
      const { id } = c.req.valid("param");
      await changeableUser(deps, auth, id, "users:manage_access");
      const ended = await endSessions(deps, auth.userId, id, id === auth.userId ? auth.sessionId : undefined);
      return c.json({ ended, message: "Sessions ended successfully" }, 200);
    },
  );
