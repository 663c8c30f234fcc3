import { AFTER_A_CHANGE, outboxStatement } from "../../db/outbox";
import { runBatch } from "../../db/statement";
import type { AuthContext, Scope } from "../../lib/access";
import { isoNow } from "../../lib/clock";
import { invalid } from "../../lib/errors";
import type { Deps } from "../../middleware/deps";
import { AccessErrors } from "../access";
import { LearningErrors } from "./errors";
import { findUserProgress, lookupProgress, upsertProgressStatement } from "./progress-repository";
import type { ProgressItem, ProgressView } from "./schemas";

/** Another user's progress needs a global `progress:read` scope; without it that user is a 404. */
function assertMayRead(auth: AuthContext, scope: Scope, userId: number): void {
  if (auth.userId !== userId && !scope.global) throw AccessErrors.USER_NOT_FOUND(userId);
}

const ratio = (score: number, max: number) => (max > 0 ? score / max : 0);

/** A user's progress in every module it is enrolled in. */
export async function progressOfUser(
  deps: Deps,
  auth: AuthContext,
  scope: Scope,
  userId: number,
): Promise<{ progress: ProgressItem[]; total: number }> {
  assertMayRead(auth, scope, userId);
  const { userExists, rows } = await findUserProgress(deps.db, userId);
  if (!userExists) throw AccessErrors.USER_NOT_FOUND(userId);
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
  deps: Deps,
  auth: AuthContext,
  scope: Scope,
  userId: number,
  moduleId: number,
): Promise<ProgressView> {
  assertMayRead(auth, scope, userId);
  const found = await lookupProgress(deps.db, userId, moduleId);
  if (found.user_id === null) throw AccessErrors.USER_NOT_FOUND(userId);
  if (found.module_id === null || found.max_score === null) throw LearningErrors.MODULE_NOT_FOUND(moduleId);
  if (found.score === null) throw LearningErrors.ENROLLMENT_NOT_FOUND(userId, moduleId);
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
  deps: Deps,
  userId: number,
  moduleId: number,
  score: number,
): Promise<{ progress: ProgressView; created: boolean }> {
  const found = await lookupProgress(deps.db, userId, moduleId);
  if (found.user_id === null) throw AccessErrors.USER_NOT_FOUND(userId);
  if (found.module_id === null || found.max_score === null) throw LearningErrors.MODULE_NOT_FOUND(moduleId);
  const max = found.max_score;
  const outOfRange = () => invalid(["body", "score"], `score must be between 0 and ${max} (the module's max_score)`);
  if (score > max) throw outOfRange();
  const at = isoNow(deps.clock);
  const [[written]] = await runBatch(
    deps.d1,
    [
      upsertProgressStatement(deps.d1, userId, moduleId, score, at),
      outboxStatement(
        deps.d1,
        "progress.updated",
        { user_id: userId, module_id: moduleId, score, max_score: max },
        { at, when: AFTER_A_CHANGE },
      ),
    ],
    // The user was deleted between the lookup and the write.
    { foreignKey: () => AccessErrors.USER_NOT_FOUND(userId) },
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

async function progressModuleStillThere(deps: Deps, userId: number, moduleId: number): Promise<void> {
  const again = await lookupProgress(deps.db, userId, moduleId);
  if (again.module_id === null) throw LearningErrors.MODULE_NOT_FOUND(moduleId);
}
