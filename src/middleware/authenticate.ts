import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { AppEnv } from "../env";
import { configOf } from "../lib/config";
import { AppError, ErrorCodes, unauthorized } from "../lib/errors";
import { keyRing, verifyToken } from "../lib/jwt";
import { loadAuthSubject } from "../modules/auth/auth-repository";

export const ACCESS_COOKIE = "access_token";
export const REFRESH_COOKIE = "refresh_token";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Authenticates the caller from `Authorization: Bearer <access token>` or the `access_token`
 * cookie (never the query string), then loads its current roles, permissions and active flag in
 * one round trip. A cookie-authenticated state change must come from an allowed origin.
 * Sets `c.var.auth`.
 *
 * @example
 *   router.get("/me", authenticate(), (c) => c.json({ id: c.var.auth.userId }))
 */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticateMiddleware(c, next) {
    const url = new URL(c.req.url);
    if (url.searchParams.has("access_token") || url.searchParams.has("refresh_token")) {
      throw unauthorized("Tokens are not accepted in the query string", ErrorCodes.INVALID_TOKEN);
    }
    const header = c.req.header("authorization");
    let token: string | undefined;
    let via: "bearer" | "cookie" = "bearer";
    if (header !== undefined) {
      token = bearerToken(header);
      if (!token) throw unauthorized("Authorization header must be 'Bearer <token>'", ErrorCodes.INVALID_TOKEN);
    } else {
      token = getCookie(c, ACCESS_COOKIE);
      via = "cookie";
    }
    if (!token) throw unauthorized("Not authenticated");

    const ring = await keyRing(c.env.JWT_PRIVATE_KEY, c.env.JWT_PREVIOUS_PUBLIC_KEY);
    const claims = await verifyToken(ring, token, "access");
    const userId = Number(claims.sub);
    if (!Number.isSafeInteger(userId)) throw unauthorized("Invalid token", ErrorCodes.INVALID_TOKEN);

    if (via === "cookie" && !SAFE_METHODS.has(c.req.method))
      assertSameOrigin(c.req.raw, configOf(c.env).allowedOrigins);

    const subject = await loadAuthSubject(c.env.DB, userId, claims.sid);
    if (!subject || subject.sessionRevoked) throw unauthorized("Session is no longer valid", ErrorCodes.INVALID_TOKEN);
    if (!subject.isActive) throw unauthorized("Account is deactivated", ErrorCodes.ACCOUNT_DISABLED);
    if (subject.tokensValidAfter && (claims.iat ?? 0) * 1000 < Date.parse(subject.tokensValidAfter) - 999) {
      throw unauthorized("Session is no longer valid", ErrorCodes.INVALID_TOKEN);
    }
    c.set("auth", { ...subject.context, via });
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
    throw new AppError(403, ErrorCodes.CSRF_ORIGIN_REJECTED, "Cross-site request refused");
  }
  const site = req.headers.get("sec-fetch-site");
  if (site === "cross-site") throw new AppError(403, ErrorCodes.CSRF_ORIGIN_REJECTED, "Cross-site request refused");
}
