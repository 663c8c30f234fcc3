import type { AuthContext } from "../lib/access";
import { isoAt } from "../lib/clock";
import { type UserRef, userRefSql } from "./sql";
import { guardStatement, runBatch, type Statement, statement } from "./statement";

export interface AuthSubject {
  context: Omit<AuthContext, "via">;
  /** `users.authz_version`: bumped by triggers whenever the user's authorization changes. */
  authzVersion: number;
  isActive: boolean;
  tokensValidAfter: string | null;
  sessionRevoked: boolean;
  /** When the session was last used (null: never recorded). */
  sessionLastUsedAt: string | null;
}

/** What a request must know of its caller's session, whatever the token carries. */
export interface SessionStateRow {
  id: number;
  username: string;
  is_active: number;
  tokens_valid_after: string | null;
  authz_version: number;
  session_revoked_at: string | null;
  session_expires_at: string | null;
  session_last_used_at: string | null;
  session_found: number;
  session_created_at: string | null;
}

export interface GrantRow {
  role_name: string;
  organization_id: number | null;
  permission: string | null;
}

export interface MembershipRow {
  organization_id: number;
  is_admin: number;
}

/**
 * The user's active flag, token cut-off and authorization version, and the session's state. `user`
 * is an id, or the username of a user the same batch creates (see `UserRef`).
 */
export function sessionStateStatement(d1: D1Database, user: UserRef, sessionId: string): Statement<SessionStateRow> {
  const id = userRefSql(user, 1);
  return statement<SessionStateRow>(
    d1,
    `SELECT u.id, u.username, u.is_active, u.tokens_valid_after, u.authz_version,
            s.revoked_at AS session_revoked_at, s.expires_at AS session_expires_at,
            s.last_used_at AS session_last_used_at,
            (s.id IS NOT NULL) AS session_found, s.created_at AS session_created_at
       FROM users u LEFT JOIN sessions s ON s.id = ?2 AND s.user_id = u.id
      WHERE u.id = ${id.sql}`,
    id.value,
    sessionId,
  );
}

/** The guard mark of `sessionGuardStatement`. */
export const SESSION_INVALID = "SESSION_INVALID";

/**
 * Fails its batch unless the access token (`userId`, `sessionId`, issued at `iatSeconds`, with
 * authorization version `authzVersion`) is still good at `nowMs`: the user active, the session open
 * and unexpired, the token not older than the user's cut-off, its authorization current. It leads
 * a request's first write, so that nothing is written for a token that stopped being valid.
 */
export function sessionGuardStatement(
  d1: D1Database,
  token: { userId: number; sessionId: string; iatSeconds: number; authzVersion: number },
  nowMs: number,
): Statement {
  return guardStatement(
    d1,
    SESSION_INVALID,
    `NOT EXISTS (SELECT 1 FROM users u JOIN sessions s ON s.id = ?2 AND s.user_id = u.id
       WHERE u.id = ?1 AND u.is_active = 1 AND s.revoked_at IS NULL AND s.expires_at > ?3
         AND (u.tokens_valid_after IS NULL OR u.tokens_valid_after <= ?4) AND u.authz_version = ?5)`,
    token.userId,
    token.sessionId,
    isoAt(nowMs),
    isoAt(token.iatSeconds * 1000 + 999),
    token.authzVersion,
  );
}

/** True when a session state row says the session is over (missing, revoked or expired at `now`). */
export function sessionIsOver(row: SessionStateRow, now: string): boolean {
  const expired = row.session_expires_at !== null && row.session_expires_at <= now;
  return !row.session_found || row.session_revoked_at !== null || expired;
}

/** The three reads of a caller's authorization (`subjectOf` reads their rows), for a batch of their own or another's. */
export function authSubjectStatements(
  db: D1Database,
  user: UserRef,
  sessionId: string,
): [Statement<SessionStateRow>, Statement<GrantRow>, Statement<MembershipRow>] {
  const id = userRefSql(user, 1);
  return [
    sessionStateStatement(db, user, sessionId),
    statement<GrantRow>(
      db,
      `SELECT r.name AS role_name, r.organization_id, p.resource || ':' || p.action AS permission
         FROM user_roles ur
         JOIN roles r ON r.id = ur.role_id
         LEFT JOIN role_permissions rp ON rp.role_id = r.id
         LEFT JOIN permissions p ON p.id = rp.permission_id
        WHERE ur.user_id = ${id.sql}`,
      id.value,
    ),
    statement<MembershipRow>(
      db,
      `SELECT organization_id, is_admin FROM organization_members WHERE user_id = ${id.sql}`,
      id.value,
    ),
  ];
}

/** The caller's authorization from the rows of `authSubjectStatements`; null when the user does not exist. */
export function subjectOf(
  rows: [SessionStateRow[], GrantRow[], MembershipRow[]],
  sessionId: string,
  now: string,
): AuthSubject | null {
  const [users, grants, memberships] = rows;
  const user = users[0];
  if (!user) return null;

  const roles = new Set<string>();
  const permissions = new Set<string>();
  const orgPermissions = new Map<number, Set<string>>();
  for (const g of grants) {
    if (g.organization_id === null) {
      roles.add(g.role_name);
      if (g.permission) permissions.add(g.permission);
    } else if (g.permission) {
      const set = orgPermissions.get(g.organization_id) ?? new Set<string>();
      set.add(g.permission);
      orgPermissions.set(g.organization_id, set);
    }
  }
  return {
    context: {
      userId: user.id,
      username: user.username,
      sessionId,
      sessionCreatedAt: user.session_created_at ?? "",
      roles: [...roles],
      permissions,
      orgPermissions,
      memberOrgIds: memberships.map((m) => m.organization_id),
      adminOrgIds: memberships.filter((m) => m.is_admin).map((m) => m.organization_id),
    },
    authzVersion: user.authz_version,
    isActive: Boolean(user.is_active),
    tokensValidAfter: user.tokens_valid_after,
    sessionRevoked: sessionIsOver(user, now),
    sessionLastUsedAt: user.session_last_used_at,
  };
}

/**
 * Everything authorization needs about a caller, in one D1 round trip (`batch()` of three reads):
 * the user's active flag, token cut-off and authorization version, the session's state, the
 * permissions of its current roles (global and organization-scoped) and its organization
 * memberships. Returns null when the user does not exist.
 */
export async function loadAuthSubject(
  db: D1Database,
  userId: number,
  sessionId: string,
  now: string,
): Promise<AuthSubject | null> {
  return subjectOf(await runBatch(db, authSubjectStatements(db, userId, sessionId)), sessionId, now);
}

/**
 * Records that session `sessionId` was used at `at`, unless that was already recorded after
 * `notAfter`: `authenticate()` runs it, after the response, at most once a minute per session.
 */
export function touchSessionStatement(d1: D1Database, sessionId: string, at: string, notAfter: string): Statement {
  return statement(
    d1,
    "UPDATE sessions SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at <= ?3)",
    sessionId,
    at,
    notAfter,
  );
}
