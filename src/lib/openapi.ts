import * as z from "zod/mini";

/**
 * What the OpenAPI document shows of a schema besides what zod itself knows (types, bounds,
 * formats): a component name (`id`), a description, an example, a format zod does not know.
 */
export interface SchemaDocs {
  id?: string;
  description?: string;
  example?: unknown;
  /** A format zod does not know (`password`). */
  format?: string;
}

/** The documentation of every schema that has some: `doc()` and `named()` add to it. */
export const schemaDocs = z.registry<SchemaDocs>();

/**
 * `schema` with a description and/or an example in the docs: a copy, so that a schema shared by
 * several fields can be documented differently in each (the copy inherits what `schema` has).
 * The deployed bundle leaves these calls out (scripts/build.mjs), since only the document reads them.
 *
 * @example
 *   const Title = doc(z.string().check(z.minLength(1)), { example: "Security Awareness Training" });
 */
export function doc<T extends z.ZodMiniType>(schema: T, docs: Omit<SchemaDocs, "id">): T {
  const copy = schema.clone();
  schemaDocs.add(copy, docs);
  return copy;
}

/**
 * `schema` as a named component of the docs (`#/components/schemas/<id>`), which every operation
 * using it refers to. Like `doc()`, left out of the deployed bundle.
 */
export function named<T extends z.ZodMiniType>(schema: T, id: string, docs: Omit<SchemaDocs, "id"> = {}): T {
  const copy = schema.clone();
  schemaDocs.add(copy, { ...docs, id });
  return copy;
}

export const ErrorSchema = named(
  z.object({
    detail: doc(z.string(), { example: "Training with id 999 not found" }),
    status: z.literal("error"),
    code: doc(z.string(), { example: "TRAINING_NOT_FOUND" }),
  }),
  "Error",
);

export const ValidationErrorSchema = named(
  z.object({
    detail: z.array(
      z.object({
        loc: doc(z.array(z.union([z.string(), z.number()])), { example: ["body", "password"] }),
        msg: z.string(),
        type: z.string(),
      }),
    ),
    status: z.literal("error"),
    code: z.literal("VALIDATION_ERROR"),
  }),
  "ValidationError",
);

export const MessageSchema = named(z.object({ message: z.string() }), "Message");

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
  const out: Record<number, { description: string; content: { "application/json": { schema: z.ZodMiniType } } }> = {};
  for (const s of statuses) {
    out[s] = {
      description: ERROR_DESCRIPTIONS[s] ?? "Error",
      content: { "application/json": { schema: s === 422 ? ValidationErrorSchema : ErrorSchema } },
    };
  }
  return out;
}

/** An OpenAPI JSON response entry. */
export function json<T extends z.ZodMiniType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

/** A required JSON request body. */
export function jsonBody<T extends z.ZodMiniType>(schema: T, description?: string) {
  return { required: true, description, content: { "application/json": { schema } } } as const;
}

/** Path parameter `{id}` as a positive integer. */
export const IdParam = z.object({
  id: doc(z.coerce.number().check(z.int(), z.positive()), { example: 1 }),
});
