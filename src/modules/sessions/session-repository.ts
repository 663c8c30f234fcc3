import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { findPage, type PageQuery, pageStatements } from "../../db/page";
import { sessions } from "../../db/schema";
import { type UserRef, userRefSql } from "../../db/sql";
import { type Statement, statement } from "../../db/statement";
import type { Page } from "../../lib/pagination";
import type { RequestMeta } from "../../middleware/deps";

/** A session as listed to its user or an administrator. */
export interface SessionRow {
  id: string;
  created_at: string;
  last_used_at: string | null;
  ip: string | null;
  user_agent: string | null;
  expires_at: string;
}

/** A user's open sessions (not revoked, not expired at `now`), most recently used first, and their total. */
export function listOpenSessions(db: Db, userId: number, now: string, page: Page) {
  return findPage<SessionRow>(db, openSessionsOf(userId, now), page);
}

/** The page and count queries of `listOpenSessions()`, for a caller that batches them with its own. */
export function openSessionsStatements(db: Db, userId: number, now: string, page: Page) {
  return pageStatements(db, openSessionsOf(userId, now), page);
}

/** The open (not revoked, not expired) sessions of `userId`, most recently used first. */
const openSessionsOf = (userId: number, now: string): PageQuery => ({
  from: sessions,
  columns: {
    id: sessions.id,
    created_at: sessions.createdAt,
    last_used_at: sessions.lastUsedAt,
    ip: sessions.ip,
    user_agent: sessions.userAgent,
    expires_at: sessions.expiresAt,
  },
  where: and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)),
  orderBy: sql`${desc(sessions.lastUsedAt)}, ${desc(sessions.createdAt)}`,
});

/** Revokes session `sessionId` only if it belongs to `userId` and is still open; returns its id when it did. */
export function revokeOwnSessionStatement(
  d1: D1Database,
  r: { sessionId: string; userId: number; reason: string; at: string },
): Statement<{ id: string }> {
  return statement(
    d1,
    `UPDATE sessions SET revoked_at = ?3, revoked_reason = ?4
      WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL AND expires_at > ?3 RETURNING id`,
    r.sessionId,
    r.userId,
    r.at,
    r.reason,
  );
}

/** Opens a session (a refresh family) for a user; `user` may be inserted in the same batch. */
export function insertSessionStatement(
  d1: D1Database,
  s: { id: string; user: UserRef; expiresAt: string; meta: RequestMeta; at: string },
): Statement {
  const ref = userRefSql(s.user, 2);
  return statement(
    d1,
    `INSERT INTO sessions (id, user_id, expires_at, user_agent, ip, created_at, last_used_at)
     VALUES (?1, ${ref.sql}, ?3, ?4, ?5, ?6, ?6)`,
    s.id,
    ref.value,
    s.expiresAt,
    s.meta.userAgent,
    s.meta.ip,
    s.at,
  );
}

/** Issues a refresh token (by its `jti`) in a session. */
export function insertRefreshTokenStatement(
  d1: D1Database,
  t: { jti: string; sessionId: string; expiresAt: string; at: string },
): Statement {
  return statement(
    d1,
    "INSERT INTO refresh_tokens (id, session_id, expires_at, created_at) VALUES (?1, ?2, ?3, ?4)",
    t.jti,
    t.sessionId,
    t.expiresAt,
    t.at,
  );
}

/**
 * Uses up refresh token `usedJti` in favour of `newJti`, only while it is unused and unexpired and its
 * session is open and its user active: of two concurrent rotations exactly one matches. Returns a row
 * when it won.
 */
export function useRefreshTokenStatement(
  d1: D1Database,
  r: { usedJti: string; sessionId: string; newJti: string; at: string },
): Statement<{ id: string }> {
  return statement(
    d1,
    `UPDATE refresh_tokens SET used_at = ?3, replaced_by = ?4
      WHERE id = ?1 AND session_id = ?2 AND used_at IS NULL AND expires_at > ?3
        AND EXISTS (SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.id = ?2 AND s.revoked_at IS NULL AND s.expires_at > ?3 AND u.is_active = 1)
      RETURNING id`,
    r.usedJti,
    r.sessionId,
    r.at,
    r.newJti,
  );
}

/** Issues `newJti` only when `useRefreshTokenStatement` (earlier in the batch) handed the family to it. */
export function insertRotatedTokenStatement(
  d1: D1Database,
  r: { usedJti: string; sessionId: string; newJti: string; expiresAt: string; at: string },
): Statement {
  return statement(
    d1,
    `INSERT INTO refresh_tokens (id, session_id, expires_at, created_at)
     SELECT ?1, ?2, ?3, ?5 WHERE (SELECT replaced_by FROM refresh_tokens WHERE id = ?4) = ?1`,
    r.newJti,
    r.sessionId,
    r.expiresAt,
    r.usedJti,
    r.at,
  );
}

/** SQL (over `?7`, `?8`) that holds when refresh token `?7` was handed to `?8`: an audit record's `onlyIf`. */
export const ROTATED_TO_SQL = "(SELECT replaced_by FROM refresh_tokens WHERE id = ?7) = ?8";

/** A refresh token with its session's and user's state, to tell why a rotation did not win. */
export interface TokenState {
  used_at: string | null;
  replaced_by: string | null;
  session_revoked_at: string | null;
  user_id: number;
  is_active: number;
}

/** The state of refresh token `jti` of session `sessionId`, or undefined. */
export function findTokenState(db: Db, jti: string, sessionId: string): Promise<TokenState | undefined> {
  return db.get<TokenState | undefined>(
    sql`SELECT t.used_at, t.replaced_by, s.revoked_at AS session_revoked_at, s.user_id, u.is_active
          FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id
         WHERE t.id = ${jti} AND t.session_id = ${sessionId}`,
  );
}

/** Revokes one session (logout, refresh-token reuse). */
export function revokeSessionStatement(d1: D1Database, sessionId: string, reason: string, at: string): Statement {
  return statement(
    d1,
    "UPDATE sessions SET revoked_at = ?2, revoked_reason = ?3 WHERE id = ?1 AND revoked_at IS NULL",
    sessionId,
    at,
    reason,
  );
}

/**
 * Revokes every open session of a user, except `keepSessionId` when given (password change keeps the
 * caller's); returns the ids it revoked.
 */
export function revokeUserSessionsStatement(
  d1: D1Database,
  r: { userId: number; reason: string; at: string; keepSessionId?: string | undefined },
): Statement<{ id: string }> {
  return statement(
    d1,
    "UPDATE sessions SET revoked_at = ?3, revoked_reason = ?4 WHERE user_id = ?1 AND revoked_at IS NULL AND id IS NOT ?2 RETURNING id",
    r.userId,
    r.keepSessionId ?? null,
    r.at,
    r.reason,
  );
}

/**
 * Which of `sessionIds` are still usable for `userId` at `now`: open, unexpired, and the user
 * active (a chat socket's slot is kept only while its session is).
 */
export function liveSessionIdsStatement(
  d1: D1Database,
  userId: number,
  sessionIds: readonly string[],
  now: string,
): Statement<{ id: string }> {
  return statement(
    d1,
    `SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.user_id = ?1 AND s.id IN (SELECT value FROM json_each(?2))
        AND s.revoked_at IS NULL AND s.expires_at > ?3 AND u.is_active = 1`,
    userId,
    JSON.stringify(sessionIds),
    now,
  );
}
