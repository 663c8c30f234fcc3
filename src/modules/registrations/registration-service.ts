import type { Store } from "../../db/client";
import { AppError, conflict, forbidden, isUniqueViolation, notFound } from "../../lib/errors";
import { outboxStatement } from "../../lib/outbox";
import type { Page } from "../../lib/pagination";
import { type AuthContext, can } from "../auth/auth-context";
import { canSeeDrafts } from "../trainings/training-service";
import {
  findRegistration,
  findRegistrationRefusal,
  listRegistrations,
  listRegistrationsOfTraining,
  type RegistrationRefusal,
  registerStatements,
  transitionStatement,
} from "./registration-repository";
import type {
  RegistrationFilters,
  RegistrationStatus,
  RegistrationView,
  ScheduleConflict,
  UpdateRegistrationInput,
} from "./schemas";

/** Holders of `registrations:manage` see and change everyone's registrations. */
const isManager = (auth: AuthContext) => can(auth, "registrations:manage");

/** The statuses each status may move to. */
export const TRANSITIONS: Record<RegistrationStatus, readonly RegistrationStatus[]> = {
  REGISTERED: ["ATTENDED", "CANCELLED"],
  ATTENDED: ["COMPLETED", "CANCELLED"],
  COMPLETED: [],
  CANCELLED: [],
};

/** Statuses only a registration manager may set (an employee may only cancel its own). */
const MANAGER_ONLY: readonly RegistrationStatus[] = ["ATTENDED", "COMPLETED"];

/** Feedback is given on a training that has been attended. */
const FEEDBACK_STATUSES: readonly RegistrationStatus[] = ["ATTENDED", "COMPLETED"];

const invalidTransition = (detail: string) => new AppError(409, "INVALID_STATUS_TRANSITION", detail);

/**
 * Registers `input.user_id` (default: the caller) for a published training with a free seat, and
 * reports the user's other active registrations that overlap it in time. Naming another user needs
 * `registrations:manage` (else 403).
 */
export async function register(
  deps: Store,
  auth: AuthContext,
  input: { training_id: number; user_id?: number | undefined },
): Promise<{ registration: RegistrationView; conflicts: ScheduleConflict[] }> {
  const userId = input.user_id ?? auth.userId;
  if (userId !== auth.userId && !isManager(auth)) {
    throw forbidden("Only registration managers can register other users");
  }
  const { insert, overlaps } = registerStatements(deps.d1, userId, input.training_id, deps.now().toISOString());
  let inserted: RegistrationView | undefined;
  let conflicts: ScheduleConflict[];
  try {
    const [ins, over] = await deps.d1.batch([insert, overlaps]);
    inserted = ins?.results[0] as RegistrationView | undefined;
    conflicts = (over?.results ?? []) as ScheduleConflict[];
  } catch (err) {
    if (isUniqueViolation(err)) throw alreadyRegistered(userId, input.training_id);
    throw err;
  }
  if (!inserted) {
    throw refusalError(
      await findRegistrationRefusal(deps.d1, userId, input.training_id),
      auth,
      userId,
      input.training_id,
    );
  }
  return { registration: inserted, conflicts };
}

const alreadyRegistered = (userId: number, trainingId: number) =>
  conflict(`User ${userId} is already registered for training ${trainingId}`, "ALREADY_REGISTERED");

/** The error that explains a refused registration. */
function refusalError(r: RegistrationRefusal, auth: AuthContext, userId: number, trainingId: number): AppError {
  if (!r.user_active) return notFound("User", userId);
  if (r.training_id === null) return notFound("Training", trainingId);
  if (r.status !== "PUBLISHED") {
    return canSeeDrafts(auth)
      ? conflict(`Training ${trainingId} is not published`, "TRAINING_NOT_PUBLISHED")
      : notFound("Training", trainingId);
  }
  if (r.already) return alreadyRegistered(userId, trainingId);
  if (r.max_participants !== null && (r.taken ?? 0) >= r.max_participants) {
    return conflict(
      `Training ${trainingId} is full (${r.taken} of ${r.max_participants} seats taken)`,
      "TRAINING_FULL",
    );
  }
  // A seat was freed between the refused insert and this read.
  return conflict(`Registration for training ${trainingId} conflicted with another change; try again`);
}

/** Registrations the caller may see: managers any (filtered), others only their own. */
export async function listVisibleRegistrations(
  deps: Store,
  auth: AuthContext,
  filters: RegistrationFilters,
  page: Page,
) {
  if (!isManager(auth)) {
    if (filters.user_id !== undefined && filters.user_id !== auth.userId) return { rows: [], total: 0 };
    return listRegistrations(deps.db, { ...filters, user_id: auth.userId }, page);
  }
  return listRegistrations(deps.db, filters, page);
}

/** A registration the caller may see; someone else's is a 404 to a non-manager, like a missing id. */
export async function getVisibleRegistration(deps: Store, auth: AuthContext, id: number): Promise<RegistrationView> {
  const reg = await findRegistration(deps.db, id);
  if (!reg || (reg.user_id !== auth.userId && !isManager(auth))) throw notFound("Registration", id);
  return reg;
}

/**
 * Changes a registration's status and/or feedback. Transitions: REGISTERED → ATTENDED → COMPLETED,
 * and REGISTERED/ATTENDED → CANCELLED (else 409 `INVALID_STATUS_TRANSITION`, also for the status it
 * already has unless feedback comes with it). ATTENDED and COMPLETED need `registrations:manage`
 * (403); the owner may cancel and give feedback (1..5, once attended).
 * Reaching COMPLETED records `registration.completed` in the outbox in the same batch.
 */
export async function updateRegistration(
  deps: Store,
  auth: AuthContext,
  id: number,
  input: UpdateRegistrationInput,
): Promise<RegistrationView> {
  const reg = await getVisibleRegistration(deps, auth, id);
  const to = input.status ?? reg.status;
  if (input.status === reg.status && input.feedback_score === undefined) {
    // Not a no-op: of two concurrent identical transitions, the second must learn it lost.
    throw invalidTransition(`Registration ${id} is already ${reg.status}`);
  }
  if (to !== reg.status) {
    if (!TRANSITIONS[reg.status].includes(to)) {
      throw invalidTransition(`Registration ${id} can't move from ${reg.status} to ${to}`);
    }
    if (MANAGER_ONLY.includes(to) && !isManager(auth)) {
      throw forbidden(`Only registration managers can mark a registration ${to}`);
    }
  }
  if (input.feedback_score !== undefined && !FEEDBACK_STATUSES.includes(to)) {
    throw conflict(
      `Feedback can only be given on an attended or completed registration (it is ${to})`,
      "FEEDBACK_NOT_ALLOWED",
    );
  }
  const now = deps.now().toISOString();
  const update = transitionStatement(deps.d1, id, reg.status, to, input.feedback_score ?? null, now);
  const completes = to === "COMPLETED" && reg.status !== "COMPLETED";
  const results = await deps.d1.batch<RegistrationView>(
    completes ? [completedEvent(deps.d1, reg, now), update] : [update],
  );
  const updated = results[results.length - 1]?.results[0];
  if (!updated) {
    throw invalidTransition(`Registration ${id} is no longer ${reg.status}: it was changed concurrently; reload it`);
  }
  return updated;
}

/** Cancels a registration (its owner or a manager); a completed or cancelled one is 409. */
export async function cancelRegistration(deps: Store, auth: AuthContext, id: number): Promise<void> {
  await updateRegistration(deps, auth, id, { status: "CANCELLED" });
}

/** A training's registrations, for registration managers; an unknown training is 404. */
export async function registrationsOfTraining(
  deps: Store,
  trainingId: number,
  status: RegistrationStatus | undefined,
  page: Page,
) {
  const { exists, rows, total } = await listRegistrationsOfTraining(deps.db, trainingId, status, page);
  if (!exists) throw notFound("Training", trainingId);
  return { rows, total };
}

/**
 * `registration.completed` for the outbox. Put it just BEFORE the conditional transition in the same
 * batch: it is recorded only while the registration still has the status read, which is exactly
 * when the following UPDATE wins.
 */
function completedEvent(d1: D1Database, reg: RegistrationView, now: string) {
  return outboxStatement(
    d1,
    "registration.completed",
    { registration_id: reg.id, user_id: reg.user_id, training_id: reg.training_id, completion_date: now },
    {
      when: "EXISTS (SELECT 1 FROM registrations WHERE id = ?2 AND status = ?3)",
      params: [reg.id, reg.status],
      timestamp: now,
    },
  );
}
