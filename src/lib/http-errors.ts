import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, type ErrorCode, HttpErrors, isUniqueViolation } from "./errors";

/** Codes for Hono's own exceptions, by status. */
const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: HttpErrors.BAD_REQUEST.code,
  401: HttpErrors.UNAUTHORIZED.code,
  403: HttpErrors.FORBIDDEN.code,
  404: HttpErrors.NOT_FOUND.code,
  405: HttpErrors.METHOD_NOT_ALLOWED.code,
  409: HttpErrors.CONFLICT.code,
  413: HttpErrors.PAYLOAD_TOO_LARGE.code,
  415: HttpErrors.UNSUPPORTED_MEDIA_TYPE.code,
  429: HttpErrors.RATE_LIMITED.code,
  503: HttpErrors.SERVICE_UNAVAILABLE.code,
};

/** Renders the contract's error body. */
export function errorResponse(c: Context, err: AppError): Response {
  return c.json({ detail: err.detail, status: "error", code: err.code }, err.status, err.headers);
}

/**
 * The app's one `onError`: typed errors render as themselves, Hono's own (malformed JSON, body
 * limit) get a code, a UNIQUE violation nobody mapped is a 409, and anything else is a logged 500
 * that reveals nothing.
 */
export function renderError(err: Error, c: Context): Response {
  if (err instanceof AppError) return errorResponse(c, err);
  if (err instanceof HTTPException) {
    if (err.status === 400 && /json/i.test(err.message)) return errorResponse(c, HttpErrors.MALFORMED_JSON());
    const code = CODE_BY_STATUS[err.status] ?? HttpErrors.BAD_REQUEST.code;
    return errorResponse(c, new AppError(err.status as ContentfulStatusCode, code, err.message || "Bad request"));
  }
  if (isUniqueViolation(err)) return errorResponse(c, HttpErrors.CONFLICT());
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
  return errorResponse(c, HttpErrors.INTERNAL_ERROR(`Internal server error (request id ${requestId})`));
}
