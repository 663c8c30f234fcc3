import { type AuthSubject, authSubjectStatements, loadAuthSubject, subjectOf } from "../../db/auth-subject";
import type { UserRef } from "../../db/sql";
import { runBatch, type Statement } from "../../db/statement";
import { authzClaimOf } from "../../lib/access";
import { isoAt } from "../../lib/clock";
import { randomToken } from "../../lib/encoding";
import { AppError, HttpErrors } from "../../lib/errors";
import { signToken, verifyToken } from "../../lib/jwt";
import type { Deps } from "../../middleware/deps";
import { auditStatement } from "../audit";
import { SessionErrors } from "./errors";
import {
  findTokenState,
  insertRefreshTokenStatement,
  insertRotatedTokenStatement,
  insertSessionStatement,
  ROTATED_TO_SQL,
  revokeSessionStatement,
  useRefreshTokenStatement,
} from "./session-repository";

/** A refresh token presented again within this window after rotation is a benign race, not theft. */
export const REFRESH_REUSE_GRACE_SECONDS = 10;

/** An access and a refresh token of one session, with their lifetimes in seconds. */
export interface IssuedPair {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  accessTtl: number;
  refreshTtl: number;
}

/**
 * Signs the token pair of session `sessionId` for `userId`, the refresh token being `refreshJti`.
 * The access token carries the caller's authorization (`subject`, read here unless the caller's own
 * batch read it), so that requests need not read it again; `users.authz_version` (bumped by
 * triggers whenever something is taken away) tells when it is stale.
 */
async function signPair(
  deps: Deps,
  userId: number,
  sessionId: string,
  refreshJti: string,
  nowMs: number,
  known?: AuthSubject | null,
) {
  const ring = await deps.keys();
  const { accessTokenTtl, refreshTokenTtl } = deps.config;
  const nowSec = Math.floor(nowMs / 1000);
  const sub = String(userId);
  const subject = known === undefined ? await loadAuthSubject(deps.d1, userId, sessionId, isoAt(nowMs)) : known;
  const az = subject ? authzClaimOf(subject.context, subject.authzVersion) : undefined;
  const [access, refresh] = await Promise.all([
    signToken(ring, "access", { sub, sid: sessionId, az }, accessTokenTtl, nowSec),
    signToken(ring, "refresh", { sub, sid: sessionId, jti: refreshJti }, refreshTokenTtl, nowSec),
  ]);
  return {
    accessToken: access.token,
    refreshToken: refresh.token,
    sessionId,
    accessTtl: accessTokenTtl,
    refreshTtl: refreshTokenTtl,
  } satisfies IssuedPair;
}

/**
 * Statements that open a session (a new refresh family) for a user, the reads of what its access
 * token will carry, and `signWith()` to mint its token pair from their rows once the user id is
 * known. The caller runs them all in its own batch, so that the session exists exactly when the rest
 * of its write does, and signing costs no round trip of its own.
 */
export function openSession(
  deps: Deps,
  user: UserRef,
): {
  statements: Statement[];
  /** The reads of what the access token carries, to put after `statements` in the same batch. */
  reads(): ReturnType<typeof authSubjectStatements>;
  /** Signs the session's token pair with the rows of `reads()`, which ended the batch whose `results` these are. */
  signWith(userId: number, results: readonly unknown[]): Promise<IssuedPair>;
} {
  const now = deps.clock.now();
  const at = isoAt(now);
  const sessionId = crypto.randomUUID();
  const refreshJti = randomToken(16);
  const expiresAt = isoAt(now + deps.config.refreshTokenTtl * 1000);
  return {
    statements: [
      insertSessionStatement(deps.d1, { id: sessionId, user, expiresAt, meta: deps.meta, at }),
      insertRefreshTokenStatement(deps.d1, { jti: refreshJti, sessionId, expiresAt, at }),
    ],
    reads: () => authSubjectStatements(deps.d1, user, sessionId),
    signWith: (userId, results) => {
      const rows = results.slice(-3) as Parameters<typeof subjectOf>[0];
      // The rows must be those of reads(): a statement put after them would sign from others.
      if (rows[0]?.[0]?.id !== userId) throw new Error("signWith: the batch must end with openSession().reads()");
      return signPair(deps, userId, sessionId, refreshJti, now, subjectOf(rows, sessionId, at));
    },
  };
}

/** KC7's and OpenKMS's words for a refresh token that fails, whatever the reason. */
const INVALID_REFRESH_TOKEN = "Invalid refresh token";

/**
 * Rotates a refresh token: the presented token is used up and a new one of the same family issued,
 * in one atomic batch whose conditional UPDATE lets exactly one of two concurrent refreshes win.
 * A token presented again after the grace window revokes its whole family. `alsoRead(userId)` is a
 * read for the same batch (what the caller's answer shows); its rows are returned with it.
 */
export async function rotateRefreshToken<R extends { statement: Statement<unknown> }>(
  deps: Deps,
  token: string,
  alsoRead: (userId: number) => R,
): Promise<{ userId: number; pair: IssuedPair; read: R; rows: unknown[] }> {
  const now = deps.clock.now();
  const at = isoAt(now);
  const claims = await verifyToken(await deps.keys(), token, "refresh", now).catch((err: unknown) => {
    throw refreshRefusal(err);
  });
  const userId = Number(claims.sub);
  const newJti = randomToken(16);
  const rotation = { usedJti: claims.jti, sessionId: claims.sid, newJti, at };
  // The rotation, `alsoRead` (what the caller's answer shows) and the reads of the authorization the
  // new access token carries: one round trip.
  const read = alsoRead(userId);
  const [rotated, , , rows, users, grants, memberships] = await runBatch(deps.d1, [
    useRefreshTokenStatement(deps.d1, rotation),
    insertRotatedTokenStatement(deps.d1, {
      ...rotation,
      expiresAt: isoAt(now + deps.config.refreshTokenTtl * 1000),
    }),
    auditStatement(
      deps.d1,
      { event: "refresh", user: userId, meta: deps.meta, at },
      { sql: ROTATED_TO_SQL, params: [claims.jti, newJti] },
    ),
    read.statement,
    ...authSubjectStatements(deps.d1, userId, claims.sid),
  ]);
  if (rotated.length) {
    const subject = subjectOf([users, grants, memberships], claims.sid, at);
    return { userId, pair: await signPair(deps, userId, claims.sid, newJti, now, subject), read, rows };
  }

  // Not rotated: find out why, and revoke the family if this is a replay outside the grace window.
  const state = await findTokenState(deps.db, claims.jti, claims.sid);
  if (state?.used_at && !state.session_revoked_at) {
    const age = (now - Date.parse(state.used_at)) / 1000;
    if (age > REFRESH_REUSE_GRACE_SECONDS) {
      await runBatch(deps.d1, [
        revokeSessionStatement(deps.d1, claims.sid, "refresh_token_reuse", at),
        auditStatement(deps.d1, {
          event: "refresh_reuse_detected",
          user: state.user_id,
          meta: deps.meta,
          detail: `session ${claims.sid}`,
          at,
        }),
      ]);
      throw SessionErrors.REFRESH_TOKEN_REUSED(true);
    }
    await runBatch(deps.d1, [
      auditStatement(deps.d1, {
        event: "refresh_replay_in_grace",
        user: state.user_id,
        meta: deps.meta,
        detail: `session ${claims.sid}, ${Math.round(age)} s after use`,
        at,
      }),
    ]);
    throw SessionErrors.REFRESH_TOKEN_REUSED(false);
  }
  throw HttpErrors.INVALID_TOKEN(INVALID_REFRESH_TOKEN);
}

/**
 * A refresh token that fails verification: the code says why (`TOKEN_EXPIRED` or `INVALID_TOKEN`),
 * the detail is the documents' `Invalid refresh token`.
 */
function refreshRefusal(err: unknown): unknown {
  if (!(err instanceof AppError)) return err;
  if (err.code === HttpErrors.TOKEN_EXPIRED.code) return HttpErrors.TOKEN_EXPIRED(INVALID_REFRESH_TOKEN);
  if (err.code === HttpErrors.INVALID_TOKEN.code) return HttpErrors.INVALID_TOKEN(INVALID_REFRESH_TOKEN);
  return err;
}
