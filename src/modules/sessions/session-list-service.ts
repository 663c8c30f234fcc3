import { pageResult } from "../../db/page";
import { runBatch } from "../../db/statement";
import { isoNow } from "../../lib/clock";
import { listOf, type Page } from "../../lib/pagination";
import type { Deps } from "../../middleware/deps";
import { auditStatement } from "../audit";
import { SessionErrors } from "./errors";
import type { SessionView } from "./schemas";
import {
  listOpenSessions,
  openSessionsStatements,
  revokeOwnSessionStatement,
  revokeUserSessionsStatement,
  type SessionRow,
} from "./session-repository";

/** The open sessions of `userId`, `current` marking the one the request came with. */
export async function listSessions(deps: Deps, userId: number, currentSessionId: string | null, page: Page) {
  const { rows, total } = await listOpenSessions(deps.db, userId, isoNow(deps.clock), page);
  return sessionList(rows, total, currentSessionId, page);
}

/**
 * `listSessions()` as a read to batch with others: its `queries`, and the list from their results
 * (for a route that judges something else in the same round trip before it answers the list).
 */
export function sessionsRead(deps: Deps, userId: number, currentSessionId: string | null, page: Page) {
  return {
    queries: openSessionsStatements(deps.db, userId, isoNow(deps.clock), page),
    list: (rows: unknown[], totals: { n: number }[]) => {
      const { rows: found, total } = pageResult<SessionRow>(rows, totals);
      return sessionList(found, total, currentSessionId, page);
    },
  };
}

function sessionList(rows: SessionRow[], total: number, currentSessionId: string | null, page: Page) {
  const sessions: SessionView[] = rows.map((r) => ({
    id: r.id,
    created_at: r.created_at,
    last_used_at: r.last_used_at,
    ip: r.ip,
    user_agent: r.user_agent,
    expires_at: r.expires_at,
    current: r.id === currentSessionId,
  }));
  return listOf("sessions", sessions, total, page);
}

/**
 * Ends session `sessionId` of user `userId` (see the route); its tokens fail on their next request.
 * `actorId` is who ended it, for the audit trail.
 */
export async function endSession(deps: Deps, actorId: number, userId: number, sessionId: string): Promise<void> {
  const at = isoNow(deps.clock);
  const [ended] = await runBatch(deps.d1, [
    revokeOwnSessionStatement(deps.d1, {
      sessionId,
      userId,
      reason: actorId === userId ? "ended_by_user" : "ended_by_admin",
      at,
    }),
    auditStatement(
      deps.d1,
      { event: "session_ended", user: userId, meta: deps.meta, detail: `session ${sessionId} by user ${actorId}`, at },
      { sql: "changes() > 0", params: [] },
    ),
  ]);
  if (!ended.length) throw SessionErrors.SESSION_NOT_FOUND(sessionId);
}

/** Ends every open session of `userId` but `keepSessionId` (see the routes); returns how many it ended. */
export async function endSessions(
  deps: Deps,
  actorId: number,
  userId: number,
  keepSessionId: string | undefined,
): Promise<number> {
  const at = isoNow(deps.clock);
  const reason = actorId === userId ? "ended_by_user" : "ended_by_admin";
  const [ended] = await runBatch(deps.d1, [
    revokeUserSessionsStatement(deps.d1, { userId, reason, at, keepSessionId }),
    auditStatement(
      deps.d1,
      { event: "sessions_ended", user: userId, meta: deps.meta, detail: `other sessions by user ${actorId}`, at },
      { sql: "changes() > 0", params: [] },
    ),
  ]);
  return ended.length;
}
