import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, ErrorCodes, isUniqueViolation } from "./errors";

const CODE_BY_STATUS: Record<number, string> = {
  400: ErrorCodes.BAD_REQUEST,
  401: ErrorCodes.UNAUTHORIZED,
  403: ErrorCodes.FORBIDDEN,
  404: ErrorCodes.NOT_FOUND,
  405: ErrorCodes.METHOD_NOT_ALLOWED,
  409: ErrorCodes.CONFLICT,
  413: ErrorCodes.PAYLOAD_TOO_LARGE,
  415: ErrorCodes.UNSUPPORTED_MEDIA_TYPE,
  429: ErrorCodes.RATE_LIMITED,
  503: ErrorCodes.SERVICE_UNAVAILABLE,
};

/** Renders the contract's error body. */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  detail: unknown,
  headers: Record<string, string> = {},
): Response {
  return c.json({ detail, status: "error", code }, status, headers);
}

/**
 * The app's one `onError`: typed errors render as themselves, Hono's own (malformed JSON, body
 * limit) get a code, a UNIQUE violation nobody mapped is a 409, and anything else is a logged 500
 * that reveals nothing.
 */
export function renderError(err: Error, c: Context): Response {
  if (err instanceof AppError) return errorResponse(c, err.status, err.code, err.detail, err.headers);
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    if (status === 400 && /json/i.test(err.message)) {
      return errorResponse(c, 400, ErrorCodes.MALFORMED_JSON, "Malformed JSON in request body");
    }
    return errorResponse(c, status, CODE_BY_STATUS[status] ?? ErrorCodes.BAD_REQUEST, err.message || "Bad request");
  }
  if (isUniqueViolation(err)) return errorResponse(c, 409, ErrorCodes.CONFLICT, "Resource already exists");
  const requestId = (c.get("requestId" as never) as string | undefined) ?? "unknown";
  console.error(
    JSON.stringify({
      level: "error",
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      error: err.name,
      message: err.message,
      stack: err.stack,
    }),
  );
  return errorResponse(c, 500, ErrorCodes.INTERNAL_ERROR, `Internal server error (request id ${requestId})`);
}
