import { z } from "@hono/zod-openapi";
import { pageFields, paginationQuery } from "../../lib/pagination";

export const REGISTRATION_STATUSES = ["REGISTERED", "ATTENDED", "COMPLETED", "CANCELLED"] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];

const Status = z.enum(REGISTRATION_STATUSES).openapi({ example: "REGISTERED" });
const Id = z.number().int().positive().openapi({ example: 1 });

/** A registration as the API shows it (OpenKMS, plus `cancelled_at`). */
export const RegistrationSchema = z
  .object({
    id: z.number().int(),
    user_id: z.number().int(),
    training_id: z.number().int(),
    status: Status,
    registered_at: z.string(),
    attended_at: z.string().nullable(),
    completion_date: z.string().nullable(),
    cancelled_at: z.string().nullable(),
    feedback_score: z.number().int().nullable(),
  })
  .openapi("Registration");

export type RegistrationView = z.infer<typeof RegistrationSchema>;

/** Body of `POST /registrations`. */
export const CreateRegistrationBody = z
  .object({
    training_id: Id,
    user_id: Id.optional().openapi({
      description: "Register someone else (needs `registrations:manage`); defaults to the caller",
    }),
  })
  .strict()
  .openapi("CreateRegistration");

/** Body of `PUT`/`PATCH /registrations/{id}`. */
export const UpdateRegistrationBody = z
  .object({
    status: Status.optional().openapi({
      description:
        "REGISTERED → ATTENDED → COMPLETED, or REGISTERED/ATTENDED → CANCELLED. ATTENDED and COMPLETED need `registrations:manage`.",
    }),
    feedback_score: z.number().int().min(1).max(5).optional().openapi({
      example: 5,
      description: "1 to 5, once the training has been attended",
    }),
  })
  .strict()
  .refine((b) => b.status !== undefined || b.feedback_score !== undefined, {
    message: "Give status or feedback_score",
  })
  .openapi("UpdateRegistration");

export type UpdateRegistrationInput = z.infer<typeof UpdateRegistrationBody>;

/** Query of `GET /registrations`. */
export const RegistrationListQuery = paginationQuery.extend({
  user_id: z.coerce.number().int().positive().optional(),
  training_id: z.coerce.number().int().positive().optional(),
  status: Status.optional(),
});

export type RegistrationFilters = { user_id?: number; training_id?: number; status?: RegistrationStatus };

/** Body of `POST /trainings/{id}/register` (optional): the training is the path's. */
export const RegisterForTrainingBody = z
  .object({
    user_id: Id.optional().openapi({
      description: "Register someone else (needs `registrations:manage`); defaults to the caller",
    }),
  })
  .strict()
  .openapi("RegisterForTraining");

/** Query of `GET /users/me/registrations`: the filters of `GET /registrations` but `user_id`. */
export const OwnRegistrationsQuery = paginationQuery.extend({
  training_id: z.coerce.number().int().positive().optional(),
  status: Status.optional(),
});

/** Query of `GET /trainings/{id}/registrations`. */
export const TrainingRegistrationsQuery = paginationQuery.extend({ status: Status.optional() });

/** Another active registration of the user that overlaps in time with the new one. */
export const ScheduleConflictSchema = z
  .object({
    training_id: z.number().int(),
    title: z.string(),
    start_date: z.string().nullable(),
    end_date: z.string().nullable(),
  })
  .openapi("ScheduleConflict");

export type ScheduleConflict = z.infer<typeof ScheduleConflictSchema>;

export const CreatedRegistrationEnvelope = z
  .object({
    registration: RegistrationSchema,
    message: z.string(),
    conflicts: z.array(ScheduleConflictSchema).openapi({
      description: "The user's other active registrations that overlap in time (a report, not a refusal)",
    }),
    warning: z.string().optional().openapi({ description: "Present when `conflicts` is not empty" }),
  })
  .openapi("CreatedRegistration");

export const RegistrationEnvelope = z
  .object({ registration: RegistrationSchema, message: z.string() })
  .openapi("RegistrationEnvelope");

export const RegistrationList = z
  .object({ registrations: z.array(RegistrationSchema), ...pageFields })
  .openapi("RegistrationList");
