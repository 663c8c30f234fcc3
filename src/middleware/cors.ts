import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../env";

/**
 * CORS for the configured `ALLOWED_ORIGINS` (default `PUBLIC_URL`), with credentials so that
 * cookie sessions work from those origins. Other origins get no CORS headers. Runs after `provideDeps()`.
 */
export function corsForAllowedOrigins(): MiddlewareHandler<AppEnv> {
  return cors({
    origin: (origin, c) => (c.var.deps.config.allowedOrigins.includes(origin) ? origin : null),
    credentials: true,
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "X-Integration-Key", "X-Request-Id", "X-D1-Bookmark"],
    exposeHeaders: [
      "X-Request-Id",
      "X-RateLimit-Limit",
      "X-RateLimit-Remaining",
      "X-RateLimit-Reset",
      "RateLimit-Policy",
      "RateLimit",
      "Retry-After",
      "X-D1-Bookmark",
    ],
    maxAge: 600,
  });
}
