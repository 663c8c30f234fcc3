import { type AuthContext, can, scopeOf } from "../../lib/access";
import type { Deps } from "../../middleware/deps";
import { findUserViewByUsername } from "../access";
import { progressOfUser } from "../learning";
import { listOwnRegistrations } from "../registrations";
import { type CatalogEntry, canSeeDrafts, findCatalogWithSeats, findTrainingTitles } from "../trainings";

/**
 * The typed retrieval functions that ground every chat answer. Each one applies the caller's
 * permissions itself, before reading, so that no question can reach data the caller may not see:
 * the catalog needs `trainings:read`, registrations and progress are the caller's own, another user's
 * progress needs `progress:read`, platform figures need `reports:read` (see `figures.ts`).
 */

/** Data retrieved for an answer, named as the answer cites it. */
export interface Retrieved<T> {
  source: string;
  data: T;
}

/** What the caller may not see, said without revealing whether it exists. */
export interface Refusal {
  refused: string;
}

export const isRefusal = (r: unknown): r is Refusal => typeof r === "object" && r !== null && "refused" in r;

/** How many catalog entries an answer looks at. */
const CATALOG_LIMIT = 100;
/** How many of the caller's registrations an answer looks at. */
const OWN_REGISTRATIONS_LIMIT = 100;

/** A catalog entry with its free seats (null: no seat limit). */
export type CatalogItem = CatalogEntry & { seats_free: number | null };

/** A caller without `trainings:read` is told so, as `GET /trainings` would refuse it. */
const CATALOG_REFUSAL: Refusal = { refused: "You may not see the training catalog (it needs trainings:read)." };

/** The published trainings with their seats, soonest first (`trainings:read`, as `GET /trainings`). */
export async function trainingCatalog(
  deps: Deps,
  auth: AuthContext,
): Promise<Retrieved<{ trainings: CatalogItem[]; total: number }> | Refusal> {
  if (!can(auth, "trainings:read")) return CATALOG_REFUSAL;
  const { rows, total } = await findCatalogWithSeats(deps.db, CATALOG_LIMIT);
  const trainings = rows.map((t) => ({
    ...t,
    seats_free: t.max_participants === null ? null : Math.max(0, t.max_participants - t.seats_taken),
  }));
  return { source: "training catalog (published trainings and their seats)", data: { trainings, total } };
}

export interface OwnRegistration {
  training_id: number;
  title: string;
  status: string;
  registered_at: string;
  completion_date: string | null;
}

/** The caller's own registrations with the trainings' titles, whatever its permissions. */
export async function ownRegistrations(
  deps: Deps,
  auth: AuthContext,
): Promise<Retrieved<{ registrations: OwnRegistration[]; total: number }>> {
  const { rows, total } = await listOwnRegistrations(deps, auth, {}, { skip: 0, limit: OWN_REGISTRATIONS_LIMIT });
  // A training no longer published keeps its title from whoever may not see drafts, as GET /trainings/{id} does.
  const titles = await findTrainingTitles(deps.db, [...new Set(rows.map((r) => r.training_id))], {
    drafts: canSeeDrafts(auth),
  });
  const registrations = rows.map((r) => ({
    training_id: r.training_id,
    title: titles.get(r.training_id) ?? `training ${r.training_id}`,
    status: r.status,
    registered_at: r.registered_at,
    completion_date: r.completion_date,
  }));
  return { source: "your registrations", data: { registrations, total } };
}

export interface ModuleProgress {
  module_name: string;
  score: number;
  max_score: number;
  progress: number;
}

/** The caller's own progress in its modules. */
export async function ownProgress(deps: Deps, auth: AuthContext): Promise<Retrieved<{ modules: ModuleProgress[] }>> {
  const { progress } = await progressOfUser(deps, auth, scopeOf(auth, "progress:read"), auth.userId);
  return { source: "your module progress", data: { modules: progress } };
}

/**
 * Another user's progress, for holders of `progress:read` only: to anyone else the answer is the
 * same refusal whether or not the user exists, and nothing is read.
 */
export async function progressOfUsername(
  deps: Deps,
  auth: AuthContext,
  username: string,
): Promise<Retrieved<{ username: string; modules: ModuleProgress[] }> | Refusal> {
  const scope = scopeOf(auth, "progress:read");
  if (!scope.global) {
    return { refused: "I can only tell you about your own progress: other users' progress needs `progress:read`." };
  }
  const user = await findUserViewByUsername(deps.db, username);
  if (!user) return { refused: `I found no user named ${username}.` };
  const { progress } = await progressOfUser(deps, auth, scope, user.id);
  return { source: `module progress of ${user.username}`, data: { username: user.username, modules: progress } };
}

/** True when the caller may see the platform's figures (those of the reports). */
export const maySeeFigures = (auth: AuthContext): boolean => can(auth, "reports:read");

export const FIGURES_REFUSAL: Refusal = {
  refused: "Platform-wide figures are those of the reports, for holders of `reports:read`.",
};
