import { defineErrors } from "../../lib/errors";

/** Every error code of modules and progress (a missing user answers access's `USER_NOT_FOUND`). */
export const LearningErrors = defineErrors({
  MODULE_NOT_FOUND: (id: number) => ({ status: 404, detail: `Module with id ${id} not found` }),
  ENROLLMENT_NOT_FOUND: (userId: number, moduleId: number) => ({
    status: 404,
    detail: `User ${userId} is not enrolled in module ${moduleId}`,
  }),
  MAX_SCORE_BELOW_SCORES: (id: number, max: number | undefined, top: number) => ({
    status: 409,
    detail: `max_score (${max}) can't be below the highest recorded score (${top}) of module ${id}`,
  }),
});
