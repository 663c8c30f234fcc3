import * as z from "zod/mini";
import { doc, named } from "../../lib/openapi";
import { pageFields, paginationQuery } from "../../lib/pagination";

export const REGISTRATION_STATUSES = ["REGISTERED", "ATTENDED", "COMPLETED", "CANCELLED"] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];

const Status = doc(z.enum(REGISTRATION_STATUSES), { example: "REGISTERED" });
const Id = doc(z.int().check(z.positive()), { example: 1 });

/** A registration as the API shows it (OpenKMS, plus `cancelled_at`). */
export const RegistrationSchema = named(
  z.object({
    id: z.int(),
    user_id: z.int(),
    training_id: z.int(),
    status: Status,
    registered_at: z.string(),
    attended_at: z.nullable(z.string()),
    completion_date: z.nullable(z.string()),
    cancelled_at: z.nullable(z.string()),
    feedback_score: z.nullable(z.int()),
  }),
  "Registration",
);

export type RegistrationView = z.infer<typeof RegistrationSchema>;

/** Body of `POST /registrations`. */
export const CreateRegistrationBody = named(
  z.strictObject({
    training_id: Id,
    user_id: doc(z.optional(Id), {
      description: "Register someone else (needs `registrations:manage`); defaults to the caller",
    }),
  }),
  "CreateRegistration",
);

/** Body of `PUT`/`PATCH /registrations/{id}`. */
export const UpdateRegistrationBody = named(
  z
    .strictObject({
      status: doc(z.optional(Status), {
        description:
          "REGISTERED → ATTENDED → COMPLETED, or REGISTERED/ATTENDED → CANCELLED. ATTENDED and COMPLETED need `registrations:manage`.",
      }),
      feedback_score: doc(z.optional(z.int().check(z.gte(1), z.lte(5))), {
        example: 5,
        description: "1 to 5, once the training has been attended",
      }),
    })
    .check(
      z.refine((b) => b.status !== undefined || b.feedback_score !== undefined, {
        message: "Give status or feedback_score",
      }),
    ),
  "UpdateRegistration",
);

export type UpdateRegistrationInput = z.infer<typeof UpdateRegistrationBody>;

/** Query of `GET /registrations`. */
export const RegistrationListQuery = z.extend(paginationQuery, {
  user_id: z.optional(z.coerce.number().check(z.int(), z.positive())),
  training_id: z.optional(z.coerce.number().check(z.int(), z.positive())),
  status: z.optional(Status),
});

export type RegistrationFilters = { user_id?: number; training_id?: number; status?: RegistrationStatus };

/** Body of `POST /trainings/{id}/register` (optional): the training is the path's. */
export const RegisterForTrainingBody = named(
  z.strictObject({
    user_id: doc(z.optional(Id), {
      description: "Register someone else (needs `registrations:manage`); defaults to the caller",
    }),
  }),
  "RegisterForTraining",
);

/** Query of `GET /users/me/registrations`: the filters of `GET /registrations` but `user_id`. */
export const OwnRegistrationsQuery = z.extend(paginationQuery, {
  training_id: z.optional(z.coerce.number().check(z.int(), z.positive())),
  status: z.optional(Status),
});

/** Query of `GET /trainings/{id}/registrations`. */
export const TrainingRegistrationsQuery = z.extend(paginationQuery, { status: z.optional(Status) });

/** Another active registration of the user that overlaps in time with the new one. */
export const ScheduleConflictSchema = named(
  z.object({
    training_id: z.int(),
    title: z.string(),
    start_date: z.nullable(z.string()),
    end_date: z.nullable(z.string()),
  }),
  "ScheduleConflict",
);

export type ScheduleConflict = z.infer<typeof ScheduleConflictSchema>;

export const CreatedRegistrationEnvelope = named(
  z.object({
    registration: RegistrationSchema,
    message: z.string(),
    conflicts: doc(z.array(ScheduleConflictSchema), {
      description: "The user's other active registrations that overlap in time (a report, not a refusal)",
    }),
    warning: doc(z.optional(z.string()), { description: "Present when `conflicts` is not empty" }),
  }),
  "CreatedRegistration",
);

export const RegistrationEnvelope = named(
  z.object({ registration: RegistrationSchema, message: z.string() }),
  "RegistrationEnvelope",
);

export const RegistrationList = named(
  z.object({ registrations: z.array(RegistrationSchema), ...pageFields }),
  "RegistrationList",
);
