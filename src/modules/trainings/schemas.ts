import { z } from "@hono/zod-openapi";
import { DateTimeInput } from "../../lib/datetime";
import { pageFields, paginationQuery } from "../../lib/pagination";

export const TRAINING_CATEGORIES = ["SECURITY", "LEADERSHIP", "TECHNICAL", "COMPLIANCE"] as const;
export const TRAINING_LEVELS = ["BEGINNER", "INTERMEDIATE", "ADVANCED"] as const;
export const TRAINING_STATUSES = ["PUBLISHED", "DRAFT"] as const;

const Category = z.enum(TRAINING_CATEGORIES).openapi({ example: "SECURITY" });
const Level = z.enum(TRAINING_LEVELS).openapi({ example: "BEGINNER" });
const Status = z.enum(TRAINING_STATUSES).openapi({ example: "PUBLISHED" });

const Title = z.string().trim().min(1).max(200).openapi({ example: "Security Awareness Training" });
const Description = z.string().trim().max(5000);
const Location = z.string().trim().max(200).openapi({ example: "Room 4.12" });
const DurationMinutes = z.number().int().min(1).max(525_600).openapi({ example: 120 });
const Credits = z.number().int().min(0).max(1000).openapi({ example: 2 });
const MaxParticipants = z.number().int().min(1).max(100_000).openapi({ example: 50 });
const UserId = z.number().int().positive().openapi({ example: 1 });

/** A training as the API shows it. */
export const TrainingSchema = z
  .object({
    id: z.number().int(),
    title: z.string(),
    description: z.string().nullable(),
    category: Category,
    level: Level,
    status: Status,
    duration_minutes: z.number().int().nullable(),
    credits: z.number().int().nullable(),
    instructor_id: z.number().int().nullable(),
    max_participants: z.number().int().nullable().openapi({ description: "Null: no seat limit" }),
    start_date: z.string().nullable(),
    end_date: z.string().nullable(),
    location: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Training");

export type TrainingView = z.infer<typeof TrainingSchema>;

/** Body of `POST /trainings`. `status` defaults to `DRAFT`. */
export const CreateTrainingBody = z
  .object({
    title: Title,
    description: Description.nullish(),
    category: Category,
    level: Level,
    status: Status.default("DRAFT"),
    duration_minutes: DurationMinutes.nullish(),
    credits: Credits.nullish(),
    instructor_id: UserId.nullish().openapi({ description: "An existing, active user (else 404 USER_NOT_FOUND)" }),
    max_participants: MaxParticipants.nullish(),
    start_date: DateTimeInput.nullish(),
    end_date: DateTimeInput.nullish().openapi({ description: "After `start_date`; needs `start_date`" }),
    location: Location.nullish(),
  })
  .strict()
  .openapi("CreateTraining");

export type CreateTrainingInput = z.infer<typeof CreateTrainingBody>;

/** Body of `PUT`/`PATCH /trainings/{id}`: any subset of the fields; `null` clears an optional one. */
export const UpdateTrainingBody = z
  .object({
    title: Title.optional(),
    description: Description.nullish(),
    category: Category.optional(),
    level: Level.optional(),
    status: Status.optional(),
    duration_minutes: DurationMinutes.nullish(),
    credits: Credits.nullish(),
    instructor_id: UserId.nullish(),
    max_participants: MaxParticipants.nullish().openapi({
      description: "Not below the training's active registrations (else 409)",
    }),
    start_date: DateTimeInput.nullish(),
    end_date: DateTimeInput.nullish(),
    location: Location.nullish(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "Give at least one field to update" })
  .openapi("UpdateTraining");

export type UpdateTrainingInput = z.infer<typeof UpdateTrainingBody>;

/** Query of `GET /trainings`: pagination and filters. */
export const TrainingListQuery = paginationQuery.extend({
  search: z
    .string()
    .trim()
    .max(200)
    .optional()
    .openapi({ description: "Text found in the title or description (case-insensitive)" }),
  category: Category.optional(),
  level: Level.optional(),
  status: Status.optional().openapi({ description: "DRAFT only lists anything for those who manage trainings" }),
  instructor_id: z.coerce.number().int().positive().optional(),
});

export type TrainingFilters = Pick<
  z.infer<typeof TrainingListQuery>,
  "search" | "category" | "level" | "status" | "instructor_id"
>;

export const TrainingEnvelope = z.object({ training: TrainingSchema, message: z.string() }).openapi("TrainingEnvelope");

export const TrainingList = z.object({ trainings: z.array(TrainingSchema), ...pageFields }).openapi("TrainingList");
