import type { Context, MiddlewareHandler } from "hono";
import {
  loadAuthSubject,
  SESSION_INVALID,
  type SessionStateRow,
  sessionGuardStatement,
  sessionIsOver,
  sessionStateStatement,
  touchSessionStatement,
} from "../db/auth-subject";
import { withFirstTrip } from "../db/first-trip";
import { runOne } from "../db/statement";
import type { AppEnv } from "../env";
import { contextFromClaim } from "../lib/access";
import { isoAt } from "../lib/clock";
import { HttpErrors } from "../lib/errors";
import { verifyToken } from "../lib/jwt";
import { afterResponse } from "./background";
import { depsOver } from "./deps";

export const ACCESS_COOKIE = "access_token";
export const REFRESH_COOKIE = "refresh_token";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** A session's `last_used_at` is written at most this often, so most requests add no write. */
export const SESSION_TOUCH_INTERVAL_MS = 60_000;

const logTouchFailure = (err: unknown) =>
  console.error(JSON.stringify({ level: "error", msg: "session last_used_at update failed", error: String(err) }));

/**
 * Authenticates the caller from `Authorization: Bearer <access token>` or the `access_token`
 * cookie (never the query string), then loads its current roles, permissions and active flag in
 * one round trip. A cookie-authenticated state change must come from an allowed origin.
 * Sets `c.get("auth")`. Routes get it through `guardedRoute()`.
 */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticateMiddleware(c, next) {
    // (The query is parsed only when its text could hold such a parameter, plainly or percent-encoded.)
    const href = c.req.url;
    const q = href.indexOf("?");
    if (q !== -1 && (href.includes("_token", q) || href.includes("%", q))) {
      const query = new URL(href).searchParams;
      if (query.has("access_token") || query.has("refresh_token")) {
        throw HttpErrors.INVALID_TOKEN("Tokens are not accepted in the query string");
      }
    }
    const header = c.req.header("authorization");
    let token: string | undefined;
    let via: "bearer" | "cookie" = "bearer";
    if (header !== undefined) {
      token = bearerToken(header);
      if (!token) throw HttpErrors.INVALID_TOKEN("Authorization header must be 'Bearer <token>'");
    } else {
      token = singleCookie(c.req.raw, ACCESS_COOKIE);
      via = "cookie";
    }
    if (!token) throw HttpErrors.UNAUTHORIZED("Not authenticated");

    const deps = c.get("deps");
    const now = deps.clock.now();
    const claims = await verifyToken(await deps.keys(), token, "access", now);
    const userId = Number(claims.sub);
    if (!Number.isSafeInteger(userId)) throw HttpErrors.INVALID_TOKEN();

    if (via === "cookie" && !SAFE_METHODS.has(c.req.method)) assertSameOrigin(c.req.raw, deps.config.allowedOrigins);

    const snapshot = contextFromClaim(claims.az, userId, claims.sid);
    if (!snapshot) {
      // A token without its authorization (issued before tokens carried it): read it.
      const subject = await loadAuthSubject(deps.d1, userId, claims.sid, isoAt(now));
      if (!subject || subject.sessionRevoked) throw HttpErrors.INVALID_TOKEN("Session is no longer valid");
      if (!subject.isActive) throw HttpErrors.ACCOUNT_DISABLED(401);
      if (subject.tokensValidAfter && (claims.iat ?? 0) * 1000 < Date.parse(subject.tokensValidAfter) - 999) {
        throw HttpErrors.INVALID_TOKEN("Session is no longer valid");
      }
      c.set("auth", { ...subject.context, via });
      touchSession(c, deps.d1, claims.sid, subject.sessionLastUsedAt, now);
      return next();
    }

    // The token carries the caller's authorization: the route's access check uses it at once, and
    // whether the token is still good (session open, user active, authorization current) is checked
    // in the request's first D1 round trip, with the route's own statements (see `withFirstTrip`).
    c.set("auth", { ...snapshot.context, via });
    const issued = { userId, sessionId: claims.sid, iatSeconds: claims.iat ?? 0, authzVersion: snapshot.version };
    const checked = withFirstTrip(deps.d1, {
      read: sessionStateStatement(deps.d1, userId, claims.sid),
      guard: () => sessionGuardStatement(deps.d1, issued, now),
      guardMark: SESSION_INVALID,
      verify: (rows) => {
        const row = rows[0] as SessionStateRow | undefined;
        if (!row || sessionIsOver(row, isoAt(now))) throw HttpErrors.INVALID_TOKEN("Session is no longer valid");
        if (!row.is_active) throw HttpErrors.ACCOUNT_DISABLED(401);
        if (row.tokens_valid_after && issued.iatSeconds * 1000 < Date.parse(row.tokens_valid_after) - 999) {
          throw HttpErrors.INVALID_TOKEN("Session is no longer valid");
        }
        if (row.authz_version !== snapshot.version) {
          throw HttpErrors.INVALID_TOKEN("The caller's permissions changed since this token was issued; refresh it");
        }
        touchSession(c, deps.d1, claims.sid, row.session_last_used_at, now);
      },
    });
    c.set("deps", depsOver(deps, checked.d1));
    // A WebSocket upgrade is handed to a Durable Object, outside D1, and its answer (the socket)
    // can't be taken back: its token is checked before the route runs.
    if (c.req.header("upgrade")?.toLowerCase() === "websocket") await checked.settle();
    await next();
    // A route that never reached D1 has its token checked before its answer leaves.
    await checked.settle();
  };
}

/** Records the session's use after the response, at most once a minute (`SESSION_TOUCH_INTERVAL_MS`). */
function touchSession(
  c: Context<AppEnv>,
  d1: D1Database,
  sessionId: string,
  lastUsedAt: string | null,
  now: number,
): void {
  const lastUsed = lastUsedAt ? Date.parse(lastUsedAt) : 0;
  if (now - lastUsed < SESSION_TOUCH_INTERVAL_MS) return;
  const touch = touchSessionStatement(d1, sessionId, isoAt(now), isoAt(now - SESSION_TOUCH_INTERVAL_MS));
  void afterResponse(
    c,
    runOne(d1, touch).catch((err: unknown) => logTouchFailure(err)),
  );
}

/**
 * The value of cookie `name`, or undefined; 400 DUPLICATE_COOKIE when the request carries it more
 * than once: a cookie set for a parent domain by a sibling subdomain ("cookie tossing") would
 * otherwise be used in place of ours.
 */
export function singleCookie(req: Request, name: string): string | undefined {
  const header = req.headers.get("cookie");
  if (!header) return undefined;
  let value: string | undefined;
  let seen = 0;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    seen += 1;
    value = part.slice(eq + 1).trim();
  }
  if (seen > 1) throw HttpErrors.DUPLICATE_COOKIE(name);
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value.replace(/^"(.*)"$/, "$1"));
  } catch {
    return value;
  }
}

/**
 * Refuses a request carrying either auth cookie twice (see `singleCookie`), whether or not the route
 * reads it, so that a tossed cookie is noticed before any route acts on the first one.
 */
export function refuseDuplicateAuthCookies(): MiddlewareHandler<AppEnv> {
  return function refuseDuplicateAuthCookiesMiddleware(c, next) {
    singleCookie(c.req.raw, ACCESS_COOKIE);
    singleCookie(c.req.raw, REFRESH_COOKIE);
    return next();
  };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined when it has another form. */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim())?.[1];
}

/**
 * Refuses a cookie-authenticated state change whose `Origin` (or, lacking it, `Sec-Fetch-Site`)
 * shows another site. The API's own origin and `ALLOWED_ORIGINS` pass.
 */
export function assertSameOrigin(req: Request, allowedOrigins: readonly string[]): void {
  const own = new URL(req.url).origin;
  const origin = req.headers.get("origin");
  if (origin !== null) {
    if (origin === own || allowedOrigins.includes(origin)) return;
    throw HttpErrors.CSRF_ORIGIN_REJECTED();
  }
  if (req.headers.get("sec-fetch-site") === "cross-site") throw HttpErrors.CSRF_ORIGIN_REJECTED();
}
