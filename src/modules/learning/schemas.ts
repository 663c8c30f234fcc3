import { z } from "@hono/zod-openapi";
import { pageFields, paginationQuery } from "../../lib/pagination";

const Title = z.string().trim().min(1).max(200).openapi({ example: "Intro to Log Analysis" });
const Description = z.string().trim().max(5000);
const EstTime = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .openapi({ example: "2h", description: "Free text; `na` when unknown" });
const Difficulty = z.string().trim().min(1).max(50).openapi({ example: "Easy" });
const MaxScore = z.number().int().min(1).max(1_000_000).openapi({ example: 100 });

/** A module of the KC7 catalog. */
export const ModuleSchema = z
  .object({
    id: z.number().int(),
    title: z.string(),
    clean_title: z.string(),
    description: z.string().nullable(),
    est_time: z.string(),
    difficulty: z.string().nullable(),
    max_score: z.number().int(),
  })
  .openapi("Module");

export type ModuleView = z.infer<typeof ModuleSchema>;

/** Body of `POST /modules`. `clean_title` defaults to the title without punctuation. */
export const CreateModuleBody = z
  .object({
    title: Title,
    clean_title: Title.optional(),
    description: Description.nullish(),
    est_time: EstTime.default("na"),
    difficulty: Difficulty.nullish(),
    max_score: MaxScore.default(100),
  })
  .strict()
  .openapi("CreateModule");

export type CreateModuleInput = z.infer<typeof CreateModuleBody>;

/** Body of `PUT`/`PATCH /modules/{id}`: any subset of the fields. */
export const UpdateModuleBody = z
  .object({
    title: Title.optional(),
    clean_title: Title.optional(),
    description: Description.nullish(),
    est_time: EstTime.optional(),
    difficulty: Difficulty.nullish(),
    max_score: MaxScore.optional().openapi({ description: "Not below a score already recorded (else 409)" }),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "Give at least one field to update" })
  .openapi("UpdateModule");

export type UpdateModuleInput = z.infer<typeof UpdateModuleBody>;

export const ModuleListQuery = paginationQuery;

export const ModuleEnvelope = z.object({ module: ModuleSchema, message: z.string() }).openapi("ModuleEnvelope");

export const ModuleList = z.object({ modules: z.array(ModuleSchema), ...pageFields }).openapi("ModuleList");

/** Path `{id}/progress/{module_id}`. */
export const ProgressParams = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: "id", in: "path" }, example: 1 }),
  module_id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: "module_id", in: "path" }, example: 1 }),
});

/** One module in a user's progress list (KC7). */
export const ProgressItemSchema = z
  .object({
    module_id: z.number().int(),
    module_name: z.string(),
    score: z.number(),
    max_score: z.number().int(),
    progress: z.number().openapi({ example: 0.8, description: "score / max_score" }),
  })
  .openapi("ProgressItem");

export type ProgressItem = z.infer<typeof ProgressItemSchema>;

export const ProgressList = z
  .object({ progress: z.array(ProgressItemSchema), total: z.number().int() })
  .openapi("ProgressList");

/** A user's progress in one module (KC7). */
export const ProgressSchema = z
  .object({
    user_id: z.number().int(),
    module_id: z.number().int(),
    score: z.number(),
    max_score: z.number().int(),
    progress: z.number().openapi({ example: 0.8 }),
  })
  .openapi("Progress");

export type ProgressView = z.infer<typeof ProgressSchema>;

export const ProgressEnvelope = z
  .object({ progress: ProgressSchema, message: z.string().optional() })
  .openapi("ProgressEnvelope");

/** Body of `PUT /users/{id}/progress/{module_id}`. */
export const PutProgressBody = z
  .object({
    score: z.number().min(0).max(1_000_000).openapi({ example: 80, description: "0 to the module's max_score" }),
  })
  .strict()
  .openapi("PutProgress");
