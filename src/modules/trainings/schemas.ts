import * as z from "zod/mini";
import { DateTimeInput } from "../../lib/datetime";
import { doc, named } from "../../lib/openapi";
import { pageFields, paginationQuery } from "../../lib/pagination";

export const TRAINING_CATEGORIES = ["SECURITY", "LEADERSHIP", "TECHNICAL", "COMPLIANCE"] as const;
export const TRAINING_LEVELS = ["BEGINNER", "INTERMEDIATE", "ADVANCED"] as const;
export const TRAINING_STATUSES = ["PUBLISHED", "DRAFT"] as const;

const Category = doc(z.enum(TRAINING_CATEGORIES), { example: "SECURITY" });
const Level = doc(z.enum(TRAINING_LEVELS), { example: "BEGINNER" });
const Status = doc(z.enum(TRAINING_STATUSES), { example: "PUBLISHED" });

const Title = doc(z.string().check(z.trim(), z.minLength(1), z.maxLength(200)), {
  example: "Security Awareness Training",
});
const Description = z.string().check(z.trim(), z.maxLength(5000));
const Location = doc(z.string().check(z.trim(), z.maxLength(200)), { example: "Room 4.12" });
const DurationMinutes = doc(z.int().check(z.gte(1), z.lte(525_600)), { example: 120 });
const Credits = doc(z.int().check(z.gte(0), z.lte(1000)), { example: 2 });
const MaxParticipants = doc(z.int().check(z.gte(1), z.lte(100_000)), { example: 50 });
const UserId = doc(z.int().check(z.positive()), { example: 1 });

/** A training as the API shows it. */
export const TrainingSchema = named(
  z.object({
    id: z.int(),
    title: z.string(),
    description: z.nullable(z.string()),
    category: Category,
    level: Level,
    status: Status,
    duration_minutes: z.nullable(z.int()),
    credits: z.nullable(z.int()),
    instructor_id: z.nullable(z.int()),
    max_participants: doc(z.nullable(z.int()), { description: "Null: no seat limit" }),
    start_date: z.nullable(z.string()),
    end_date: z.nullable(z.string()),
    location: z.nullable(z.string()),
    created_at: z.string(),
    updated_at: z.string(),
  }),
  "Training",
);

export type TrainingView = z.infer<typeof TrainingSchema>;

/** Body of `POST /trainings`. `status` defaults to `DRAFT`. */
export const CreateTrainingBody = named(
  z.strictObject({
    title: Title,
    description: z.nullish(Description),
    category: Category,
    level: Level,
    status: z._default(Status, "DRAFT"),
    duration_minutes: z.nullish(DurationMinutes),
    credits: z.nullish(Credits),
    instructor_id: doc(z.nullish(UserId), { description: "An existing, active user (else 404 USER_NOT_FOUND)" }),
    max_participants: z.nullish(MaxParticipants),
    start_date: z.nullish(DateTimeInput),
    end_date: doc(z.nullish(DateTimeInput), { description: "After `start_date`; needs `start_date`" }),
    location: z.nullish(Location),
  }),
  "CreateTraining",
);

export type CreateTrainingInput = z.infer<typeof CreateTrainingBody>;

/** Body of `PUT`/`PATCH /trainings/{id}`: any subset of the fields; `null` clears an optional one. */
export const UpdateTrainingBody = named(
  z
    .strictObject({
      title: z.optional(Title),
      description: z.nullish(Description),
      category: z.optional(Category),
      level: z.optional(Level),
      status: z.optional(Status),
      duration_minutes: z.nullish(DurationMinutes),
      credits: z.nullish(Credits),
      instructor_id: z.nullish(UserId),
      max_participants: doc(z.nullish(MaxParticipants), {
        description: "Not below the training's active registrations (else 409)",
      }),
      start_date: z.nullish(DateTimeInput),
      end_date: z.nullish(DateTimeInput),
      location: z.nullish(Location),
    })
    .check(z.refine((b) => Object.keys(b).length > 0, { message: "Give at least one field to update" })),
  "UpdateTraining",
);

export type UpdateTrainingInput = z.infer<typeof UpdateTrainingBody>;

/** Query of `GET /trainings`: pagination and filters. */
export const TrainingListQuery = z.extend(paginationQuery, {
  search: doc(z.optional(z.string().check(z.trim(), z.maxLength(200))), {
    description: "Text found in the title or description (case-insensitive)",
  }),
  category: z.optional(Category),
  level: z.optional(Level),
  status: doc(z.optional(Status), { description: "DRAFT only lists anything for those who manage trainings" }),
  instructor_id: z.optional(z.coerce.number().check(z.int(), z.positive())),
});

export type TrainingFilters = Pick<
  z.infer<typeof TrainingListQuery>,
  "search" | "category" | "level" | "status" | "instructor_id"
>;

export const TrainingEnvelope = named(z.object({ training: TrainingSchema, message: z.string() }), "TrainingEnvelope");

export const TrainingList = named(z.object({ trainings: z.array(TrainingSchema), ...pageFields }), "TrainingList");
