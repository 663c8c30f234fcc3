import type { Config } from "../../lib/config";
import { randomToken } from "../../lib/encoding";
import { ErrorCodes, unauthorized } from "../../lib/errors";
import { type keyRing, signToken, verifyToken } from "../../lib/jwt";
import { newUserIdSql } from "../users/user-repository";

/** A refresh token presented again within this window after rotation is a benign race, not theft. */
export const REFRESH_REUSE_GRACE_SECONDS = 10;

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export interface SessionDeps {
  d1: D1Database;
  config: Config;
  ring: Awaited<ReturnType<typeof keyRing>>;
  now?: () => number;
}

export interface IssuedPair {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  accessTtl: number;
  refreshTtl: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A user by id, or by username when the user is inserted in the same batch and has no id yet. */
export type UserRef = number | { username: string };

/** SQL for a user's id bound at `?<param>`, and the value to bind there. */
function userRefSql(user: UserRef, param: number): { sql: string; value: number | string } {
  return typeof user === "number"
    ? { sql: `?${param}`, value: user }
    : { sql: newUserIdSql(param), value: user.username };
}

/** Records a security event; returned as a statement so that it joins the caller's batch. */
export function auditStatement(
  d1: D1Database,
  event: string,
  user: UserRef | null,
  meta: RequestMeta,
  detail?: string,
) {
  const ref = user === null ? { sql: "?1", value: null } : userRefSql(user, 1);
  return d1
    .prepare(`INSERT INTO auth_events (user_id, event, ip, user_agent, detail) VALUES (${ref.sql}, ?2, ?3, ?4, ?5)`)
    .bind(ref.value, event, meta.ip, meta.userAgent, detail ?? null);
}

/**
 * Statements that open a session (a new refresh family) for a user, and `sign()` to mint its token
 * pair once the user id is known. The caller runs the statements in its own `batch()` so that the
 * session exists exactly when the rest of its write does.
 */
export function openSession(deps: SessionDeps, user: UserRef, meta: RequestMeta) {
  const now = deps.now?.() ?? Date.now();
  const sessionId = crypto.randomUUID();
  const refreshJti = randomToken(16);
  const { accessTokenTtl, refreshTokenTtl } = deps.config;
  const expires = iso(now + refreshTokenTtl * 1000);
  const ref = userRefSql(user, 2);
  const statements = [
    deps.d1
      .prepare(`INSERT INTO sessions (id, user_id, expires_at, user_agent, ip) VALUES (?1, ${ref.sql}, ?3, ?4, ?5)`)
      .bind(sessionId, ref.value, expires, meta.userAgent, meta.ip),
    deps.d1
      .prepare("INSERT INTO refresh_tokens (id, session_id, expires_at) VALUES (?1, ?2, ?3)")
      .bind(refreshJti, sessionId, expires),
  ];
  const sign = async (userId: number): Promise<IssuedPair> => {
    const nowSec = Math.floor(now / 1000);
    const [access, refresh] = await Promise.all([
      signToken(deps.ring, "access", { sub: String(userId), sid: sessionId }, accessTokenTtl, nowSec),
      signToken(
        deps.ring,
        "refresh",
        { sub: String(userId), sid: sessionId, jti: refreshJti },
        refreshTokenTtl,
        nowSec,
      ),
    ]);
    return {
      accessToken: access.token,
      refreshToken: refresh.token,
      sessionId,
      accessTtl: accessTokenTtl,
      refreshTtl: refreshTokenTtl,
    };
  };
  return { statements, sign };
}

interface TokenRow {
  used_at: string | null;
  replaced_by: string | null;
  session_revoked_at: string | null;
  user_id: number;
  is_active: number;
}

/**
 * Rotates a refresh token: the presented token is used up and a new one of the same family issued,
 * in one atomic batch whose conditional UPDATE lets exactly one of two concurrent refreshes win.
 * A token presented again after the grace window revokes its whole family.
 */
export async function rotateRefreshToken(
  deps: SessionDeps,
  token: string,
  meta: RequestMeta,
): Promise<{ userId: number; pair: IssuedPair }> {
  const claims = await verifyToken(deps.ring, token, "refresh");
  const now = deps.now?.() ?? Date.now();
  const nowIso = iso(now);
  const userId = Number(claims.sub);
  const newJti = randomToken(16);
  const { accessTokenTtl, refreshTokenTtl } = deps.config;
  const nowSec = Math.floor(now / 1000);
  const [access, refresh] = await Promise.all([
    signToken(deps.ring, "access", { sub: claims.sub, sid: claims.sid }, accessTokenTtl, nowSec),
    signToken(deps.ring, "refresh", { sub: claims.sub, sid: claims.sid, jti: newJti }, refreshTokenTtl, nowSec),
  ]);
  const expires = iso(now + refreshTokenTtl * 1000);

  const [rotated] = await deps.d1.batch([
    deps.d1
      .prepare(
        `UPDATE refresh_tokens SET used_at = ?3, replaced_by = ?4
          WHERE id = ?1 AND session_id = ?2 AND used_at IS NULL AND expires_at > ?3
            AND EXISTS (SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
                         WHERE s.id = ?2 AND s.revoked_at IS NULL AND s.expires_at > ?3 AND u.is_active = 1)
          RETURNING id`,
      )
      .bind(claims.jti, claims.sid, nowIso, newJti),
    deps.d1
      .prepare(
        `INSERT INTO refresh_tokens (id, session_id, expires_at)
         SELECT ?1, ?2, ?3 WHERE (SELECT replaced_by FROM refresh_tokens WHERE id = ?4) = ?1`,
      )
      .bind(newJti, claims.sid, expires, claims.jti),
    deps.d1
      .prepare(
        `INSERT INTO auth_events (user_id, event, ip, user_agent)
         SELECT ?1, 'refresh', ?2, ?3 WHERE (SELECT replaced_by FROM refresh_tokens WHERE id = ?4) = ?5`,
      )
      .bind(userId, meta.ip, meta.userAgent, claims.jti, newJti),
  ]);
  if (rotated?.results.length) {
    return {
      userId,
      pair: {
        accessToken: access.token,
        refreshToken: refresh.token,
        sessionId: claims.sid,
        accessTtl: accessTokenTtl,
        refreshTtl: refreshTokenTtl,
      },
    };
  }

  // Not rotated: find out why, and revoke the family if this is a replay outside the grace window.
  const row = await deps.d1
    .prepare(
      `SELECT t.used_at, t.replaced_by, s.revoked_at AS session_revoked_at, s.user_id, u.is_active
         FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id
        WHERE t.id = ?1 AND t.session_id = ?2`,
    )
    .bind(claims.jti, claims.sid)
    .first<TokenRow>();
  if (row?.used_at && !row.session_revoked_at) {
    const age = (now - Date.parse(row.used_at)) / 1000;
    if (age > REFRESH_REUSE_GRACE_SECONDS) {
      await deps.d1.batch([
        deps.d1
          .prepare(
            "UPDATE sessions SET revoked_at = ?2, revoked_reason = 'refresh_token_reuse' WHERE id = ?1 AND revoked_at IS NULL",
          )
          .bind(claims.sid, nowIso),
        auditStatement(deps.d1, "refresh_reuse_detected", row.user_id, meta, `session ${claims.sid}`),
      ]);
      throw unauthorized(
        "Refresh token was already used; the session has been revoked",
        ErrorCodes.REFRESH_TOKEN_REUSED,
      );
    }
    throw unauthorized("Refresh token was already used", ErrorCodes.REFRESH_TOKEN_REUSED);
  }
  throw unauthorized("Invalid refresh token", ErrorCodes.INVALID_TOKEN);
}

/** Revokes one session (logout). */
export function revokeSessionStatement(d1: D1Database, sessionId: string, reason: string, now = Date.now()) {
  return d1
    .prepare("UPDATE sessions SET revoked_at = ?2, revoked_reason = ?3 WHERE id = ?1 AND revoked_at IS NULL")
    .bind(sessionId, iso(now), reason);
}

/** Revokes every session of a user, except `keepSessionId` when given (password change keeps the caller's). */
export function revokeUserSessionsStatement(
  d1: D1Database,
  userId: number,
  reason: string,
  keepSessionId: string | null = null,
  now = Date.now(),
) {
  return d1
    .prepare(
      "UPDATE sessions SET revoked_at = ?3, revoked_reason = ?4 WHERE user_id = ?1 AND revoked_at IS NULL AND id IS NOT ?2",
    )
    .bind(userId, keepSessionId, iso(now), reason);
}
