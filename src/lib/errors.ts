import type { ContentfulStatusCode } from "hono/utils/http-status";

declare const errorCodeBrand: unique symbol;

/**
 * An error code of one of the catalogs built with `defineErrors()`. A bare string does not compile,
 * so every code a client can receive is declared in a catalog and found by searching for it.
 */
export type ErrorCode = string & { readonly [errorCodeBrand]: true };

/** One entry of a 422 `detail` list, FastAPI style. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** What a catalog entry makes of its arguments. */
export interface ErrorInit {
  status: ContentfulStatusCode;
  detail: string | ValidationIssue[];
  headers?: Record<string, string>;
}

/**
 * The one way to fail: throw an `AppError` made by a catalog entry; the app's `onError` renders
 * `{detail, status: "error", code}`.
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

/** A catalog: for each code, a function that makes its `AppError`, carrying the code as `.code`. */
export type ErrorCatalog<C> = {
  readonly [K in keyof C & string]: C[K] extends (...args: infer A) => ErrorInit
    ? ((...args: A) => AppError) & { readonly code: K & ErrorCode }
    : never;
};

/**
 * A module's error catalog (`errors.ts`, as better-auth's `error-codes.ts`): each UPPER_SNAKE code
 * with the status and detail it answers.
 *
 * @example
 *   export const TrainingErrors = defineErrors({
 *     TRAINING_NOT_FOUND: (id: number) => ({ status: 404, detail: `Training with id ${id} not found` }),
 *   });
 *   throw TrainingErrors.TRAINING_NOT_FOUND(id);
 */
export function defineErrors<const C extends Record<Uppercase<string>, (...args: never[]) => ErrorInit>>(
  specs: C,
): ErrorCatalog<C> {
  const catalog: Record<string, unknown> = {};
  for (const [code, spec] of Object.entries(specs) as [string, (...args: unknown[]) => ErrorInit][]) {
    const make = (...args: unknown[]) => {
      const init = spec(...args);
      return new AppError(init.status, code as ErrorCode, init.detail, init.headers);
    };
    catalog[code] = Object.assign(make, { code });
  }
  return catalog as ErrorCatalog<C>;
}

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="api"' };

/** Codes that any route can answer: the HTTP layer's, authentication's and validation's. */
export const HttpErrors = defineErrors({
  BAD_REQUEST: (detail = "Bad request") => ({ status: 400, detail }),
  MALFORMED_JSON: () => ({ status: 400, detail: "Malformed JSON in request body" }),
  UNAUTHORIZED: (detail = "Could not validate credentials") => ({ status: 401, detail, headers: CHALLENGE }),
  INVALID_TOKEN: (detail = "Invalid token") => ({ status: 401, detail, headers: CHALLENGE }),
  TOKEN_EXPIRED: (detail = "Token has expired") => ({ status: 401, detail, headers: CHALLENGE }),
  /** 401 on a request with a deactivated account's token, 403 at sign-in after a correct password. */
  ACCOUNT_DISABLED: (status: 401 | 403 = 401) => ({
    status,
    detail: "User account deactivated",
    headers: status === 401 ? CHALLENGE : {},
  }),
  FORBIDDEN: (detail = "Not authorized to perform this action") => ({ status: 403, detail }),
  CSRF_ORIGIN_REJECTED: () => ({ status: 403, detail: "Cross-site request refused" }),
  DUPLICATE_COOKIE: (name: string) => ({
    status: 400,
    detail: `The request carries more than one '${name}' cookie (one may have been set by another site); clear this site's cookies and sign in again`,
  }),
  NOT_FOUND: (path: string) => ({ status: 404, detail: `Path ${path} not found` }),
  METHOD_NOT_ALLOWED: (method: string, allow: readonly string[]) => ({
    status: 405,
    detail: `Method ${method} not allowed`,
    headers: { Allow: allow.join(", ") },
  }),
  CONFLICT: (detail = "Resource already exists") => ({ status: 409, detail }),
  PAYLOAD_TOO_LARGE: (maxBytes: number) => ({
    status: 413,
    detail: `Request body is larger than ${maxBytes} bytes`,
  }),
  UNSUPPORTED_MEDIA_TYPE: () => ({
    status: 415,
    detail: "Request body must be JSON (Content-Type: application/json)",
  }),
  VALIDATION_ERROR: (issues: ValidationIssue[]) => ({ status: 422, detail: issues }),
  RATE_LIMITED: (detail: string, retryAfterSeconds: number) => ({
    status: 429,
    detail,
    headers: { "Retry-After": String(retryAfterSeconds) },
  }),
  INTERNAL_ERROR: (detail: string) => ({ status: 500, detail }),
  SERVICE_UNAVAILABLE: (detail: string) => ({ status: 503, detail }),
  /** A password is about to be set but the common-password list can't be loaded: never set unchecked. */
  PASSWORD_POLICY_UNAVAILABLE: () => ({
    status: 503,
    detail: "Passwords cannot be checked against the password policy right now; try again shortly",
  }),
});

/** A 422 with one issue, for rules that a schema can't state (e.g. `end_date` before `start_date`). */
export const invalid = (loc: (string | number)[], msg: string, type = "value_error"): AppError =>
  HttpErrors.VALIDATION_ERROR([{ loc, msg, type }]);

/** The messages of an error and its causes (drizzle and D1 wrap SQLite's). */
export function errorChainMessage(err: unknown): string {
  let out = "";
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 5; depth++) {
    out += ` ${e.message}`;
    e = e.cause;
  }
  return out;
}

/** True when `err` (possibly wrapped) is a UNIQUE constraint failure. */
export const isUniqueViolation = (err: unknown): boolean => errorChainMessage(err).includes("UNIQUE constraint failed");
