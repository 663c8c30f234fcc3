import * as z from "zod/mini";
import { doc, named } from "../../lib/openapi";
import { pageFields, paginationQuery } from "../../lib/pagination";

const Title = doc(z.string().check(z.trim(), z.minLength(1), z.maxLength(200)), { example: "Intro to Log Analysis" });
const Description = z.string().check(z.trim(), z.maxLength(5000));
const EstTime = doc(z.string().check(z.trim(), z.minLength(1), z.maxLength(50)), {
  example: "2h",
  description: "Free text; `na` when unknown",
});
const Difficulty = doc(z.string().check(z.trim(), z.minLength(1), z.maxLength(50)), { example: "Easy" });
const MaxScore = doc(z.int().check(z.gte(1), z.lte(1_000_000)), { example: 100 });

/** A module of the KC7 catalog. */
export const ModuleSchema = named(
  z.object({
    id: z.int(),
    title: z.string(),
    clean_title: z.string(),
    description: z.nullable(z.string()),
    est_time: z.string(),
    difficulty: z.nullable(z.string()),
    max_score: z.int(),
  }),
  "Module",
);

export type ModuleView = z.infer<typeof ModuleSchema>;

/** Body of `POST /modules`. `clean_title` defaults to the title without punctuation. */
export const CreateModuleBody = named(
  z.strictObject({
    title: Title,
    clean_title: z.optional(Title),
    description: z.nullish(Description),
    est_time: z._default(EstTime, "na"),
    difficulty: z.nullish(Difficulty),
    max_score: z._default(MaxScore, 100),
  }),
  "CreateModule",
);

export type CreateModuleInput = z.infer<typeof CreateModuleBody>;

/** Body of `PUT`/`PATCH /modules/{id}`: any subset of the fields. */
export const UpdateModuleBody = named(
  z
    .strictObject({
      title: z.optional(Title),
      clean_title: z.optional(Title),
      description: z.nullish(Description),
      est_time: z.optional(EstTime),
      difficulty: z.nullish(Difficulty),
      max_score: doc(z.optional(MaxScore), { description: "Not below a score already recorded (else 409)" }),
    })
    .check(z.refine((b) => Object.keys(b).length > 0, { message: "Give at least one field to update" })),
  "UpdateModule",
);

export type UpdateModuleInput = z.infer<typeof UpdateModuleBody>;

export const ModuleListQuery = paginationQuery;

export const ModuleEnvelope = named(z.object({ module: ModuleSchema, message: z.string() }), "ModuleEnvelope");

export const ModuleList = named(z.object({ modules: z.array(ModuleSchema), ...pageFields }), "ModuleList");

/** Path `{id}/progress/{module_id}`. */
export const ProgressParams = z.object({
  id: doc(z.coerce.number().check(z.int(), z.positive()), { example: 1 }),
  module_id: doc(z.coerce.number().check(z.int(), z.positive()), { example: 1 }),
});

/** One module in a user's progress list (KC7). */
export const ProgressItemSchema = named(
  z.object({
    module_id: z.int(),
    module_name: z.string(),
    score: z.number(),
    max_score: z.int(),
    progress: doc(z.number(), { example: 0.8, description: "score / max_score" }),
  }),
  "ProgressItem",
);

export type ProgressItem = z.infer<typeof ProgressItemSchema>;

export const ProgressList = named(z.object({ progress: z.array(ProgressItemSchema), total: z.int() }), "ProgressList");

/** A user's progress in one module (KC7). */
export const ProgressSchema = named(
  z.object({
    user_id: z.int(),
    module_id: z.int(),
    score: z.number(),
    max_score: z.int(),
    progress: doc(z.number(), { example: 0.8 }),
  }),
  "Progress",
);

export type ProgressView = z.infer<typeof ProgressSchema>;

export const ProgressEnvelope = named(
  z.object({ progress: ProgressSchema, message: z.optional(z.string()) }),
  "ProgressEnvelope",
);

/** Body of `PUT /users/{id}/progress/{module_id}`. */
export const PutProgressBody = named(
  z.strictObject({
    score: doc(z.number().check(z.gte(0), z.lte(1_000_000)), {
      example: 80,
      description: "0 to the module's max_score",
    }),
  }),
  "PutProgress",
);
