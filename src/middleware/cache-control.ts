import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";

/**
 * `Cache-Control: no-store` on every response that does not set its own: API responses carry personal
 * data or depend on who asks, so no browser or shared cache may keep them. Public documents that may
 * be cached (the JWKS) set their own header.
 */
export function noStore(): MiddlewareHandler<AppEnv> {
  return async function noStoreMiddleware(c, next) {
    await next();
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  };
}
