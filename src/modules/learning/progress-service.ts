import type { Store } from "../../db/client";
import { AppError, invalid, isForeignKeyViolation, notFound } from "../../lib/errors";
import { type AuthContext, can } from "../auth/auth-context";
import { findUserProgress, lookupProgress, upsertProgress } from "./progress-repository";
import type { ProgressItem, ProgressView } from "./schemas";

/** A user reads its own progress; holders of `progress:read` anyone's. To others the user is 404. */
function assertMayRead(auth: AuthContext, userId: number): void {
  if (auth.userId !== userId && !can(auth, "progress:read")) throw notFound("User", userId);
}

const ratio = (score: number, max: number) => (max > 0 ? score / max : 0);

/** A user's progress in every module it is enrolled in. */
export async function progressOfUser(
  deps: Store,
  auth: AuthContext,
  userId: number,
): Promise<{ progress: ProgressItem[]; total: number }> {
  assertMayRead(auth, userId);
  const { userExists, rows } = await findUserProgress(deps.db, userId);
  if (!userExists) throw notFound("User", userId);
  const progress = rows.map((r) => ({
    module_id: r.module_id,
    module_name: r.module_name,
    score: r.score,
    max_score: r.max_score,
    progress: ratio(r.score, r.max_score),
  }));
  return { progress, total: progress.length };
}

/** A user's progress in one module: 404 `USER_NOT_FOUND`, `MODULE_NOT_FOUND` or `ENROLLMENT_NOT_FOUND`. */
export async function progressInModule(
  deps: Store,
  auth: AuthContext,
  userId: number,
  moduleId: number,
): Promise<ProgressView> {
  assertMayRead(auth, userId);
  const found = await lookupProgress(deps.d1, userId, moduleId);
  if (found.user_id === null) throw notFound("User", userId);
  if (found.module_id === null || found.max_score === null) throw notFound("Module", moduleId);
  if (found.score === null) {
    throw new AppError(404, "ENROLLMENT_NOT_FOUND", `User ${userId} is not enrolled in module ${moduleId}`);
  }
  return {
    user_id: userId,
    module_id: moduleId,
    score: found.score,
    max_score: found.max_score,
    progress: ratio(found.score, found.max_score),
  };
}

/**
 * Records a user's score in a module, enrolling the user when it is not yet (`created: true`).
 * The score must lie within 0..max_score (422).
 */
export async function recordProgress(
  deps: Store,
  userId: number,
  moduleId: number,
  score: number,
): Promise<{ progress: ProgressView; created: boolean }> {
  const found = await lookupProgress(deps.d1, userId, moduleId);
  if (found.user_id === null) throw notFound("User", userId);
  if (found.module_id === null || found.max_score === null) throw notFound("Module", moduleId);
  const max = found.max_score;
  const outOfRange = () => invalid(["body", "score"], `score must be between 0 and ${max} (the module's max_score)`);
  if (score > max) throw outOfRange();
  const written = await upsertProgress(deps.db, userId, moduleId, score, deps.now().toISOString()).catch(
    (err: unknown) => {
      // The user was deleted between the lookup and the write.
      if (isForeignKeyViolation(err)) throw notFound("User", userId);
      throw err;
    },
  );
  if (!written) {
    // The module was deleted, or its max_score lowered, in between.
    await progressModuleStillThere(deps, userId, moduleId);
    throw outOfRange();
  }
  return {
    progress: {
      user_id: userId,
      module_id: moduleId,
      score: written.score,
      max_score: written.max_score,
      progress: ratio(written.score, written.max_score),
    },
    created: found.score === null,
  };
}

async function progressModuleStillThere(deps: Store, userId: number, moduleId: number): Promise<void> {
  const again = await lookupProgress(deps.d1, userId, moduleId);
  if (again.module_id === null) throw notFound("Module", moduleId);
}
