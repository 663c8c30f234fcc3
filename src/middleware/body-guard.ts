import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HttpErrors } from "../lib/errors";
import { isJsonMediaType, mediaTypeOf } from "../lib/media-type";

export interface BodyGuardOptions {
  /** Largest accepted body in bytes (413 beyond). */
  maxBytes: number;
  /** The only paths that also accept an HTML form post (`application/x-www-form-urlencoded`). */
  formPaths?: readonly string[];
  /** Paths that take a form post as either encoding, `multipart/form-data` too (RFC 8058 one-click unsubscribe). */
  anyFormPaths?: readonly string[];
}

const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Whether a request carries a body: a body stream not declared empty. A POST sent without data
 * arrives with `Content-Length: 0` and a body stream through a proxy (`wrangler dev`, curl), and
 * with no body at all when built in a test.
 */
export function hasBody(c: Context): boolean {
  return c.req.raw.body !== null && c.req.header("content-length") !== "0";
}

/**
 * Refuses request bodies that are too large (413, also for a streamed body without
 * `Content-Length`, which Hono's `bodyLimit` stops reading at the limit) or not JSON (415) before
 * any handler reads them; a form post only on `formPaths` (the emailed-link pages' forms). A request
 * without a body passes (e.g. `POST /auth/logout`).
 *
 * @example
 *   app.use("/api/*", bodyGuard({ maxBytes: 64 * 1024 }))
 */
export function bodyGuard(options: BodyGuardOptions): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: options.maxBytes,
    onError: () => {
      throw HttpErrors.PAYLOAD_TOO_LARGE(options.maxBytes);
    },
  });
  const formPaths = new Set([...(options.formPaths ?? []), ...(options.anyFormPaths ?? [])]);
  const anyFormPaths = new Set(options.anyFormPaths ?? []);
  return function bodyGuardMiddleware(c, next) {
    if (!BODY_METHODS.has(c.req.method) || !hasBody(c)) return next();
    return limit(c, async () => {
      const type = mediaTypeOf(c.req.header("content-type"));
      const isJson = isJsonMediaType(type);
      const path = c.req.path.replace(/\/+$/, "");
      const isForm =
        (type === "application/x-www-form-urlencoded" && formPaths.has(path)) ||
        (type === "multipart/form-data" && anyFormPaths.has(path));
      if (!isJson && !isForm) throw HttpErrors.UNSUPPORTED_MEDIA_TYPE();
      await next();
    });
  };
}
