import { defineErrors } from "../../lib/errors";

/** Every error code of registrations (a missing training or user answers the trainings' and access's codes). */
export const RegistrationErrors = defineErrors({
  REGISTRATION_NOT_FOUND: (id: number) => ({ status: 404, detail: `Registration with id ${id} not found` }),
  ALREADY_REGISTERED: (userId: number, trainingId: number) => ({
    status: 409,
    detail: `User ${userId} is already registered for training ${trainingId}`,
  }),
  TRAINING_NOT_PUBLISHED: (trainingId: number) => ({
    status: 409,
    detail: `Training ${trainingId} is not published`,
  }),
  TRAINING_FULL: (trainingId: number, taken: number | null, max: number) => ({
    status: 409,
    detail: `Training ${trainingId} is full (${taken} of ${max} seats taken)`,
  }),
  INVALID_STATUS_TRANSITION: (detail: string) => ({ status: 409, detail }),
  FEEDBACK_NOT_ALLOWED: (status: string) => ({
    status: 409,
    detail: `Feedback can only be given on an attended or completed registration (it is ${status})`,
  }),
});
