import type { MiddlewareHandler } from "hono";
import { AppError, ErrorCodes } from "../lib/errors";

export interface BodyGuardOptions {
  /** Largest accepted body in bytes (413 beyond). */
  maxBytes: number;
  /** Paths (exact, after trailing-slash trimming) that also accept HTML form posts. */
  formPaths?: readonly string[];
}

const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Refuses request bodies that are too large (413) or not JSON (415) before any handler reads them.
 * A request without a body passes (e.g. `POST /auth/logout`).
 *
 * @example
 *   app.use("/api/*", bodyGuard({ maxBytes: 64 * 1024 }))
 */
export function bodyGuard(options: BodyGuardOptions): MiddlewareHandler {
  const formPaths = new Set(options.formPaths ?? []);
  return async function bodyGuardMiddleware(c, next) {
    if (!BODY_METHODS.has(c.req.method)) return next();
    const lengthHeader = c.req.header("content-length");
    const length = lengthHeader === undefined ? undefined : Number(lengthHeader);
    const chunked = c.req.raw.body !== null && length === undefined;
    if (length === 0 || (!chunked && length === undefined)) return next();
    if (length !== undefined && length > options.maxBytes) throw tooLarge(options.maxBytes);

    const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
    const isJson = type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type);
    const isForm = type === "application/x-www-form-urlencoded" && formPaths.has(c.req.path);
    if (!isJson && !isForm) {
      throw new AppError(
        415,
        ErrorCodes.UNSUPPORTED_MEDIA_TYPE,
        "Request body must be JSON (Content-Type: application/json)",
      );
    }
    if (chunked) {
      // No Content-Length: read with a cap so a streamed body can't exceed the limit.
      const buf = await c.req.raw.clone().arrayBuffer();
      if (buf.byteLength > options.maxBytes) throw tooLarge(options.maxBytes);
    }
    return next();
  };
}

const tooLarge = (max: number) =>
  new AppError(413, ErrorCodes.PAYLOAD_TOO_LARGE, `Request body is larger than ${max} bytes`);
