import type { Store } from "../../db/client";
import { AppError, conflict, invalid, isForeignKeyViolation, notFound } from "../../lib/errors";
import { outboxStatement } from "../../lib/outbox";
import type { Page } from "../../lib/pagination";
import { type AuthContext, can } from "../auth/auth-context";
import type { CreateTrainingInput, TrainingFilters, TrainingView, UpdateTrainingInput } from "./schemas";
import {
  countActiveRegistrations,
  countAllRegistrations,
  deleteTrainingWithoutRegistrations,
  findTraining,
  insertTrainingStatement,
  isActiveUser,
  listTrainings,
  type NewTraining,
  updateTraining,
} from "./training-repository";

/** Those who may manage trainings (hold `trainings:update`) also see drafts. */
export const canSeeDrafts = (auth: AuthContext): boolean => can(auth, "trainings:update");

/**
 * A page of trainings. Callers who can't manage trainings only ever see published ones (asking for
 * `status=DRAFT` gives them an empty list).
 */
export async function listVisibleTrainings(deps: Store, auth: AuthContext, filters: TrainingFilters, page: Page) {
  if (!canSeeDrafts(auth)) {
    if (filters.status === "DRAFT") return { rows: [], total: 0 };
    return listTrainings(deps.db, { ...filters, status: "PUBLISHED" }, page);
  }
  return listTrainings(deps.db, filters, page);
}

/** A training the caller may see; a draft is a 404 to those who can't manage trainings, like a missing id. */
export async function getVisibleTraining(deps: Store, auth: AuthContext, id: number): Promise<TrainingView> {
  const training = await findTraining(deps.db, id);
  if (!training || (training.status === "DRAFT" && !canSeeDrafts(auth))) throw notFound("Training", id);
  return training;
}

/** Normalizes an accepted ISO date or date-time to UTC `YYYY-MM-DDTHH:MM:SS.sssZ`. */
function toUtc(value: string | null | undefined, field: string): string | null | undefined {
  if (value === null || value === undefined) return value;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw invalid(["body", field], "Invalid date");
  return date.toISOString();
}

/** `end_date` needs `start_date` and must come after it. */
function assertDateOrder(start: string | null, end: string | null): void {
  if (end === null) return;
  if (start === null) throw invalid(["body", "end_date"], "end_date needs a start_date");
  if (end <= start) throw invalid(["body", "end_date"], "end_date must be after start_date");
}

async function assertInstructor(deps: Store, instructorId: number | null | undefined): Promise<void> {
  if (typeof instructorId === "number" && !(await isActiveUser(deps.db, instructorId))) {
    throw notFound("User", instructorId);
  }
}

/**
 * Creates a training and records `training.created` in the outbox in the same batch, so the event
 * exists exactly when the training does.
 */
export async function createTraining(
  deps: Store,
  auth: AuthContext,
  input: CreateTrainingInput,
): Promise<TrainingView> {
  const values: NewTraining = {
    title: input.title,
    description: input.description ?? null,
    category: input.category,
    level: input.level,
    status: input.status,
    duration_minutes: input.duration_minutes ?? null,
    credits: input.credits ?? null,
    instructor_id: input.instructor_id ?? null,
    max_participants: input.max_participants ?? null,
    start_date: toUtc(input.start_date, "start_date") ?? null,
    end_date: toUtc(input.end_date, "end_date") ?? null,
    location: input.location ?? null,
  };
  assertDateOrder(values.start_date, values.end_date);
  await assertInstructor(deps, values.instructor_id);
  const now = deps.now().toISOString();
  const [inserted] = await deps.d1
    .batch<TrainingView>([
      insertTrainingStatement(deps.d1, values, auth.userId, now),
      // Directly after the insert: SQL fills in the new id.
      outboxStatement(
        deps.d1,
        "training.created",
        { title: values.title, created_by: auth.userId },
        { fill: { "$.data.training_id": "last_insert_rowid()" }, timestamp: now },
      ),
    ])
    .catch((err: unknown) => {
      // The instructor was deleted between the check and the insert.
      if (isForeignKeyViolation(err) && values.instructor_id !== null) throw notFound("User", values.instructor_id);
      throw err;
    });
  const training = inserted?.results[0];
  if (!training) throw new Error("training insert returned no row");
  return training;
}

/**
 * Updates any subset of a training's fields (`null` clears an optional one). The merged dates must
 * stay in order; `max_participants` may not drop below the active registrations (409).
 */
export async function updateTrainingById(deps: Store, id: number, input: UpdateTrainingInput): Promise<TrainingView> {
  const current = await findTraining(deps.db, id);
  if (!current) throw notFound("Training", id);
  const patch: Partial<NewTraining> = {
    ...input,
    start_date: toUtc(input.start_date, "start_date"),
    end_date: toUtc(input.end_date, "end_date"),
  };
  if (patch.start_date !== undefined || patch.end_date !== undefined) {
    const start = patch.start_date === undefined ? current.start_date : patch.start_date;
    const end = patch.end_date === undefined ? current.end_date : patch.end_date;
    assertDateOrder(start, end);
  }
  await assertInstructor(deps, patch.instructor_id);
  const updated = await updateTraining(deps.db, id, patch, deps.now().toISOString()).catch((err: unknown) => {
    if (isForeignKeyViolation(err) && typeof patch.instructor_id === "number") {
      throw notFound("User", patch.instructor_id);
    }
    throw err;
  });
  if (updated) return updated;
  if (!(await findTraining(deps.db, id))) throw notFound("Training", id);
  const taken = await countActiveRegistrations(deps.db, id);
  throw conflict(
    `max_participants (${patch.max_participants}) can't be below the ${taken} active registrations of training ${id}`,
    "MAX_PARTICIPANTS_BELOW_REGISTRATIONS",
  );
}

/**
 * Deletes a training that has no registrations. One with registrations (any status, cancelled ones
 * included, as they are attendance history) is refused with 409 `TRAINING_HAS_REGISTRATIONS`:
 * set it to `DRAFT` instead. Check and delete are one statement, so a concurrent registration
 * can't be orphaned.
 */
export async function deleteTraining(deps: Store, id: number): Promise<void> {
  if (await deleteTrainingWithoutRegistrations(deps.d1, id)) return;
  const registrations = await countAllRegistrations(deps.d1, id);
  if (registrations === 0) throw notFound("Training", id);
  throw new AppError(
    409,
    "TRAINING_HAS_REGISTRATIONS",
    `Training ${id} has ${registrations} registration(s) and can't be deleted; set its status to DRAFT instead`,
  );
}
