import { defineErrors } from "../../lib/errors";

/** Every error code of trainings. */
export const TrainingErrors = defineErrors({
  TRAINING_NOT_FOUND: (id: number) => ({ status: 404, detail: `Training with id ${id} not found` }),
  TRAINING_HAS_REGISTRATIONS: (id: number, registrations: number) => ({
    status: 409,
    detail: `Training ${id} has ${registrations} registration(s) and can't be deleted; set its status to DRAFT instead`,
  }),
  MAX_PARTICIPANTS_BELOW_REGISTRATIONS: (id: number, max: number | null | undefined, taken: number) => ({
    status: 409,
    detail: `max_participants (${max}) can't be below the ${taken} active registrations of training ${id}`,
  }),
});
