import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * Every error code the API answers with, in one place (clients switch on these, not on messages).
 */
export const ErrorCodes = {
  BAD_REQUEST: "BAD_REQUEST",
  MALFORMED_JSON: "MALFORMED_JSON",
  UNAUTHORIZED: "UNAUTHORIZED",
  INVALID_CREDENTIALS: "INVALID_CREDENTIALS",
  INVALID_TOKEN: "INVALID_TOKEN",
  TOKEN_EXPIRED: "TOKEN_EXPIRED",
  REFRESH_TOKEN_REUSED: "REFRESH_TOKEN_REUSED",
  ACCOUNT_DISABLED: "ACCOUNT_DISABLED",
  FORBIDDEN: "FORBIDDEN",
  CSRF_ORIGIN_REJECTED: "CSRF_ORIGIN_REJECTED",
  NOT_FOUND: "NOT_FOUND",
  METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
  CONFLICT: "CONFLICT",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  VALIDATION_ERROR: "VALIDATION_ERROR",
  RATE_LIMITED: "RATE_LIMITED",
  ACCOUNT_LOCKED: "ACCOUNT_LOCKED",
  INTERNAL_ERROR: "INTERNAL_ERROR",
  SERVICE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes] | `${Uppercase<string>}_NOT_FOUND` | (string & {});

/** One entry of a 422 `detail` list, FastAPI style. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/**
 * The one way to fail: throw an `AppError`; `onError` renders `{detail, status: "error", code}`.
 *
 * @example
 *   throw new AppError(404, "TRAINING_NOT_FOUND", `Training with id ${id} not found`)
 */
export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    readonly detail: string | ValidationIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === "string" ? detail : code);
    this.name = "AppError";
  }
}

/** 404 for a resource by id, e.g. `notFound("Training", 999)` → `TRAINING_NOT_FOUND`, "Training with id 999 not found". */
export const notFound = (resource: string, id: number | string, field = "id"): AppError =>
  new AppError(
    404,
    `${resource.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_NOT_FOUND`,
    `${resource} with ${field} ${id} not found`,
  );

export const unauthorized = (detail = "Could not validate credentials", code: ErrorCode = ErrorCodes.UNAUTHORIZED) =>
  new AppError(401, code, detail, { "WWW-Authenticate": 'Bearer realm="api"' });

export const forbidden = (detail = "Not authorized to perform this action") =>
  new AppError(403, ErrorCodes.FORBIDDEN, detail);

export const conflict = (detail: string, code: ErrorCode = ErrorCodes.CONFLICT) => new AppError(409, code, detail);

/** A 422 with one issue, for rules that a schema can't state (e.g. `end_date` before `start_date`). */
export const invalid = (loc: (string | number)[], msg: string, type = "value_error") =>
  new AppError(422, ErrorCodes.VALIDATION_ERROR, [{ loc, msg, type }]);

/** True when a D1/SQLite error (possibly wrapped by drizzle) is a UNIQUE constraint failure. */
export function isUniqueViolation(err: unknown): boolean {
  return errorChainMessage(err).includes("UNIQUE constraint failed");
}

/** True when a D1/SQLite error (possibly wrapped by drizzle) is a FOREIGN KEY constraint failure. */
export function isForeignKeyViolation(err: unknown): boolean {
  return errorChainMessage(err).includes("FOREIGN KEY constraint failed");
}

function errorChainMessage(err: unknown): string {
  let out = "";
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    if (e instanceof Error) {
      out += ` ${e.message}`;
      e = e.cause;
    } else break;
  }
  return out;
}
