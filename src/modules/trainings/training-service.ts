import { AFTER_A_CHANGE, outboxStatement } from "../../db/outbox";
import { type ConstraintErrors, runBatch, theRow } from "../../db/statement";
import { type AuthContext, can } from "../../lib/access";
import { isoNow } from "../../lib/clock";
import { invalid } from "../../lib/errors";
import type { Page } from "../../lib/pagination";
import type { Deps } from "../../middleware/deps";
import { AccessErrors, isActiveUser } from "../access";
import { TrainingErrors } from "./errors";
import type { CreateTrainingInput, TrainingFilters, TrainingView, UpdateTrainingInput } from "./schemas";
import {
  countRegistrations,
  deleteTrainingWithoutRegistrationsStatement,
  findTraining,
  insertTrainingStatement,
  listTrainings,
  type TrainingValues,
  updateTrainingStatement,
} from "./training-repository";

/** Those who may manage trainings (hold `trainings:update`) also see drafts. */
export const canSeeDrafts = (auth: AuthContext): boolean => can(auth, "trainings:update");

/** A page of trainings; see the list route for who sees drafts. */
export async function listVisibleTrainings(deps: Deps, auth: AuthContext, filters: TrainingFilters, page: Page) {
  if (!canSeeDrafts(auth)) {
    if (filters.status === "DRAFT") return { rows: [], total: 0 };
    return listTrainings(deps.d1, { ...filters, status: "PUBLISHED" }, page);
  }
  return listTrainings(deps.d1, filters, page);
}

/** A training the caller may see; see the get route for drafts. */
export async function getVisibleTraining(deps: Deps, auth: AuthContext, id: number): Promise<TrainingView> {
  const training = await findTraining(deps.db, id);
  if (!training || (training.status === "DRAFT" && !canSeeDrafts(auth))) throw TrainingErrors.TRAINING_NOT_FOUND(id);
  return training;
}

/** `end_date` needs `start_date` and must come after it. */
function assertDateOrder(start: string | null, end: string | null): void {
  if (end === null) return;
  if (start === null) throw invalid(["body", "end_date"], "end_date needs a start_date");
  if (end <= start) throw invalid(["body", "end_date"], "end_date must be after start_date");
}

async function assertInstructor(deps: Deps, instructorId: number | null | undefined): Promise<void> {
  if (typeof instructorId === "number" && !(await isActiveUser(deps.db, instructorId))) {
    throw AccessErrors.USER_NOT_FOUND(instructorId);
  }
}

/** An instructor deleted between the check and the write is, to the caller, not found. */
const instructorGone = (instructorId: number | null | undefined): ConstraintErrors =>
  typeof instructorId === "number" ? { foreignKey: () => AccessErrors.USER_NOT_FOUND(instructorId) } : {};

/** Creates a training with its `training.created` event (see the create route). */
export async function createTraining(deps: Deps, auth: AuthContext, input: CreateTrainingInput): Promise<TrainingView> {
  const values: TrainingValues = {
    title: input.title,
    description: input.description ?? null,
    category: input.category,
    level: input.level,
    status: input.status,
    duration_minutes: input.duration_minutes ?? null,
    credits: input.credits ?? null,
    instructor_id: input.instructor_id ?? null,
    max_participants: input.max_participants ?? null,
    start_date: input.start_date ?? null,
    end_date: input.end_date ?? null,
    location: input.location ?? null,
  };
  assertDateOrder(values.start_date, values.end_date);
  await assertInstructor(deps, values.instructor_id);
  const at = isoNow(deps.clock);
  const [inserted] = await runBatch(
    deps.d1,
    [
      insertTrainingStatement(deps.d1, values, auth.userId, at),
      // Directly after the insert: SQL fills in the new id.
      outboxStatement(
        deps.d1,
        "training.created",
        { title: values.title, created_by: auth.userId },
        { at, fill: { "$.data.training_id": "last_insert_rowid()" } },
      ),
    ],
    instructorGone(values.instructor_id),
  );
  return theRow(inserted, "training insert");
}

/** Updates any subset of a training's fields (see the update route). */
export async function updateTrainingById(deps: Deps, id: number, input: UpdateTrainingInput): Promise<TrainingView> {
  const current = await findTraining(deps.db, id);
  if (!current) throw TrainingErrors.TRAINING_NOT_FOUND(id);
  const patch: Partial<TrainingValues> = {
    ...input,
    start_date: input.start_date,
    end_date: input.end_date,
  };
  if (patch.start_date !== undefined || patch.end_date !== undefined) {
    const start = patch.start_date === undefined ? current.start_date : patch.start_date;
    const end = patch.end_date === undefined ? current.end_date : patch.end_date;
    assertDateOrder(start, end);
  }
  await assertInstructor(deps, patch.instructor_id);
  const at = isoNow(deps.clock);
  const [[updated]] = await runBatch(
    deps.d1,
    [
      updateTrainingStatement(deps.d1, id, patch, at),
      outboxStatement(
        deps.d1,
        "training.updated",
        { training_id: id, changed: Object.keys(input) },
        { at, when: AFTER_A_CHANGE },
      ),
    ],
    instructorGone(patch.instructor_id),
  );
  if (updated) return updated;
  if (!(await findTraining(deps.db, id))) throw TrainingErrors.TRAINING_NOT_FOUND(id);
  const { active } = await countRegistrations(deps.db, id);
  throw TrainingErrors.MAX_PARTICIPANTS_BELOW_REGISTRATIONS(id, patch.max_participants, active);
}

/** Deletes a training that has no registrations (see the delete route). */
export async function deleteTraining(deps: Deps, id: number): Promise<void> {
  const [[deleted]] = await runBatch(deps.d1, [
    deleteTrainingWithoutRegistrationsStatement(deps.d1, id),
    outboxStatement(deps.d1, "training.deleted", { training_id: id }, { at: isoNow(deps.clock), when: AFTER_A_CHANGE }),
  ]);
  if (deleted) return;
  const registrations = (await countRegistrations(deps.db, id)).all;
  if (registrations === 0) throw TrainingErrors.TRAINING_NOT_FOUND(id);
  throw TrainingErrors.TRAINING_HAS_REGISTRATIONS(id, registrations);
}
