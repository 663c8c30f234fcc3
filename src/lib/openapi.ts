import { z } from "@hono/zod-openapi";

export const ErrorSchema = z
  .object({
    detail: z.string().openapi({ example: "Training with id 999 not found" }),
    status: z.literal("error"),
    code: z.string().openapi({ example: "TRAINING_NOT_FOUND" }),
  })
  .openapi("Error");

export const ValidationErrorSchema = z
  .object({
    detail: z.array(
      z.object({
        loc: z.array(z.union([z.string(), z.number()])).openapi({ example: ["body", "password"] }),
        msg: z.string(),
        type: z.string(),
      }),
    ),
    status: z.literal("error"),
    code: z.literal("VALIDATION_ERROR"),
  })
  .openapi("ValidationError");

export const MessageSchema = z.object({ message: z.string() }).openapi("Message");

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Malformed request",
  401: "Missing or invalid credentials",
  403: "Authenticated but not allowed",
  404: "Not found (or not visible to the caller)",
  409: "Conflict",
  413: "Body too large",
  415: "Body is not JSON",
  422: "Validation error",
  429: "Rate limited",
  503: "A dependency is down",
};

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503;

/**
 * OpenAPI `responses` entries for the error statuses a route can answer.
 *
 * @example
 *   responses: { 200: json(UserEnvelope, "The user"), ...errors(401, 403, 404) }
 */
export function errors(...statuses: ErrorStatus[]) {
  const out: Record<number, { description: string; content: { "application/json": { schema: z.ZodType } } }> = {};
  for (const s of statuses) {
    out[s] = {
      description: ERROR_DESCRIPTIONS[s] ?? "Error",
      content: { "application/json": { schema: s === 422 ? ValidationErrorSchema : ErrorSchema } },
    };
  }
  return out;
}

/** An OpenAPI JSON response entry. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

/** A required JSON request body. */
export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return { required: true, description, content: { "application/json": { schema } } } as const;
}

/** Path parameter `{id}` as a positive integer. */
export const IdParam = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: "id", in: "path" }, example: 1 }),
});

/** Security requirement for routes behind `authenticate()` (added by `guardedRoute()`). */
export const bearerSecurity = [{ bearerAuth: [] }, { cookieAuth: [] }];
