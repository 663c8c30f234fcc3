import { AFTER_A_CHANGE, type DomainEvent, outboxStatement } from "../../db/outbox";
import { runBatch } from "../../db/statement";
import { type AuthContext, can, type Scope } from "../../lib/access";
import { isoNow } from "../../lib/clock";
import { type AppError, HttpErrors } from "../../lib/errors";
import type { Page } from "../../lib/pagination";
import type { Deps } from "../../middleware/deps";
import { AccessErrors } from "../access";
import { canSeeDrafts, TrainingErrors } from "../trainings";
import { RegistrationErrors } from "./errors";
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

/** Holders of `registrations:manage` register others (the routes on existing registrations get it as their scope). */
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

/** Registers the caller or `user_id` and reports schedule overlaps (see the register route). */
export async function register(
  deps: Deps,
  auth: AuthContext,
  input: { training_id: number; user_id?: number | undefined },
): Promise<{ registration: RegistrationView; conflicts: ScheduleConflict[] }> {
  const userId = input.user_id ?? auth.userId;
  if (userId !== auth.userId && !isManager(auth)) {
    throw HttpErrors.FORBIDDEN("Only registration managers can register other users");
  }
  const at = isoNow(deps.clock);
  const { insert, overlaps } = registerStatements(deps.d1, userId, input.training_id, at);
  // Directly after the conditional insert: recorded when it inserted, with the new id.
  const created = outboxStatement(
    deps.d1,
    "registration.created",
    { user_id: userId, training_id: input.training_id, registered_by: auth.userId },
    { at, when: AFTER_A_CHANGE, fill: { "$.data.registration_id": "last_insert_rowid()" } },
  );
  const [[inserted], , conflicts] = await runBatch(deps.d1, [insert, created, overlaps], {
    unique: () => RegistrationErrors.ALREADY_REGISTERED(userId, input.training_id),
  });
  if (!inserted) {
    const refusal = await findRegistrationRefusal(deps.db, userId, input.training_id);
    throw refusalError(refusal, auth, userId, input.training_id);
  }
  return { registration: inserted, conflicts };
}

/** The error that explains a refused registration. */
function refusalError(r: RegistrationRefusal, auth: AuthContext, userId: number, trainingId: number): AppError {
  if (!r.user_active) return AccessErrors.USER_NOT_FOUND(userId);
  if (r.training_id === null) return TrainingErrors.TRAINING_NOT_FOUND(trainingId);
  if (r.status !== "PUBLISHED") {
    return canSeeDrafts(auth)
      ? RegistrationErrors.TRAINING_NOT_PUBLISHED(trainingId)
      : TrainingErrors.TRAINING_NOT_FOUND(trainingId);
  }
  if (r.already) return RegistrationErrors.ALREADY_REGISTERED(userId, trainingId);
  if (r.max_participants !== null && (r.taken ?? 0) >= r.max_participants) {
    return RegistrationErrors.TRAINING_FULL(trainingId, r.taken, r.max_participants);
  }
  // A seat was freed between the refused insert and this read.
  return HttpErrors.CONFLICT(`Registration for training ${trainingId} conflicted with another change; try again`);
}

/** Registrations the caller may see: with a global scope any (filtered), others only their own. */
export async function listVisibleRegistrations(
  deps: Deps,
  auth: AuthContext,
  scope: Scope,
  filters: RegistrationFilters,
  page: Page,
) {
  if (!scope.global) {
    if (filters.user_id !== undefined && filters.user_id !== auth.userId) return { rows: [], total: 0 };
    return listRegistrations(deps.d1, { ...filters, user_id: auth.userId }, page);
  }
  return listRegistrations(deps.d1, filters, page);
}

/** The caller's own registrations (`GET /users/me/registrations`), whatever its permissions. */
export function listOwnRegistrations(
  deps: Deps,
  auth: AuthContext,
  filters: Omit<RegistrationFilters, "user_id">,
  page: Page,
) {
  return listRegistrations(deps.d1, { ...filters, user_id: auth.userId }, page);
}

/** A registration the caller may see; someone else's is a 404 without a global scope, like a missing id. */
export async function getVisibleRegistration(
  deps: Deps,
  auth: AuthContext,
  scope: Scope,
  id: number,
): Promise<RegistrationView> {
  const reg = await findRegistration(deps.db, id);
  if (!reg || (reg.user_id !== auth.userId && !scope.global)) throw RegistrationErrors.REGISTRATION_NOT_FOUND(id);
  return reg;
}

/** Changes a registration's status and/or feedback (see the update route for the transitions). */
export async function updateRegistration(
  deps: Deps,
  auth: AuthContext,
  scope: Scope,
  id: number,
  input: UpdateRegistrationInput,
): Promise<RegistrationView> {
  const reg = await getVisibleRegistration(deps, auth, scope, id);
  const to = input.status ?? reg.status;
  if (input.status === reg.status && input.feedback_score === undefined) {
    // Not a no-op: of two concurrent identical transitions, the second must learn it lost.
    throw RegistrationErrors.INVALID_STATUS_TRANSITION(`Registration ${id} is already ${reg.status}`);
  }
  if (to !== reg.status) {
    if (!TRANSITIONS[reg.status].includes(to)) {
      throw RegistrationErrors.INVALID_STATUS_TRANSITION(`Registration ${id} can't move from ${reg.status} to ${to}`);
    }
    if (MANAGER_ONLY.includes(to) && !scope.global) {
      throw HttpErrors.FORBIDDEN(`Only registration managers can mark a registration ${to}`);
    }
    if (MANAGER_ONLY.includes(reg.status) && !scope.global) {
      throw HttpErrors.FORBIDDEN(`Only registration managers can change a registration marked ${reg.status}`);
    }
  }
  if (input.feedback_score !== undefined && !FEEDBACK_STATUSES.includes(to)) {
    throw RegistrationErrors.FEEDBACK_NOT_ALLOWED(to);
  }
  const now = isoNow(deps.clock);
  const update = transitionStatement(deps.d1, id, reg.status, to, input.feedback_score ?? null, now);
  const event = to === reg.status ? undefined : TRANSITION_EVENTS[to];
  // The event goes first: it is recorded only while the registration still has the status read,
  // which is exactly when the following UPDATE wins.
  const results = event
    ? (await runBatch(deps.d1, [transitionEvent(deps.d1, event, reg, now), update]))[1]
    : (await runBatch(deps.d1, [update]))[0];
  const updated = results[0];
  if (!updated) {
    throw RegistrationErrors.INVALID_STATUS_TRANSITION(
      `Registration ${id} is no longer ${reg.status}: it was changed concurrently; reload it`,
    );
  }
  return updated;
}

/** Cancels a registration (see the cancel route). */
export async function cancelRegistration(deps: Deps, auth: AuthContext, scope: Scope, id: number): Promise<void> {
  await updateRegistration(deps, auth, scope, id, { status: "CANCELLED" });
}

/** A training's registrations, for registration managers; an unknown training is 404. */
export async function registrationsOfTraining(
  deps: Deps,
  trainingId: number,
  status: RegistrationStatus | undefined,
  page: Page,
) {
  const { exists, rows, total } = await listRegistrationsOfTraining(deps.db, trainingId, status, page);
  if (!exists) throw TrainingErrors.TRAINING_NOT_FOUND(trainingId);
  return { rows, total };
}

/** The events a transition into a status records. */
const TRANSITION_EVENTS: Partial<Record<RegistrationStatus, DomainEvent>> = {
  COMPLETED: "registration.completed",
  CANCELLED: "registration.cancelled",
};

/**
 * `registration.completed` / `registration.cancelled` for the outbox. Put it just BEFORE the
 * conditional transition in the same batch: it is recorded only while the registration still has
 * the status read, which is exactly when the following UPDATE wins.
 */
function transitionEvent(d1: D1Database, event: DomainEvent, reg: RegistrationView, now: string) {
  const when = event === "registration.completed" ? { completion_date: now } : { cancelled_at: now };
  return outboxStatement(
    d1,
    event,
    { registration_id: reg.id, user_id: reg.user_id, training_id: reg.training_id, ...when },
    {
      at: now,
      when: "EXISTS (SELECT 1 FROM registrations WHERE id = ?3 AND status = ?4)",
      params: [reg.id, reg.status],
    },
  );
}
