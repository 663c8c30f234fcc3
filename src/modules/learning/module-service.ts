import type { Store } from "../../db/client";
import { conflict, notFound } from "../../lib/errors";
import type { Page } from "../../lib/pagination";
import {
  deleteModule,
  findModule,
  highestScore,
  insertModule,
  listModules,
  type ModuleValues,
  updateModule,
} from "./module-repository";
import type { CreateModuleInput, ModuleView, UpdateModuleInput } from "./schemas";

/** `clean_title` when none is given: the title without punctuation, spaces collapsed. */
export function cleanTitleOf(title: string): string {
  const clean = title
    .replace(/[^\p{L}\p{N}\s-]/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  return clean || title;
}

/** A page of the module catalog. */
export function moduleCatalog(deps: Store, page: Page) {
  return listModules(deps.db, page);
}

/** One module, or 404 `MODULE_NOT_FOUND`. */
export async function getModule(deps: Store, id: number): Promise<ModuleView> {
  const module = await findModule(deps.db, id);
  if (!module) throw notFound("Module", id);
  return module;
}

/** Adds a module to the catalog. */
export async function createModule(deps: Store, input: CreateModuleInput): Promise<ModuleView> {
  const values: ModuleValues = {
    title: input.title,
    clean_title: input.clean_title ?? cleanTitleOf(input.title),
    description: input.description ?? null,
    est_time: input.est_time,
    difficulty: input.difficulty ?? null,
    max_score: input.max_score,
  };
  const module = await insertModule(deps.db, values, deps.now().toISOString());
  if (!module) throw new Error("module insert returned no row");
  return module;
}

/** Updates any subset of a module's fields; `max_score` may not drop below a recorded score (409). */
export async function updateModuleById(deps: Store, id: number, input: UpdateModuleInput): Promise<ModuleView> {
  const updated = await updateModule(deps.db, id, input, deps.now().toISOString());
  if (updated) return updated;
  await getModule(deps, id);
  const top = await highestScore(deps.db, id);
  throw conflict(
    `max_score (${input.max_score}) can't be below the highest recorded score (${top}) of module ${id}`,
    "MAX_SCORE_BELOW_SCORES",
  );
}

/** Removes a module from the catalog, with the progress recorded in it. */
export async function deleteModuleById(deps: Store, id: number): Promise<void> {
  if (!(await deleteModule(deps.db, id))) throw notFound("Module", id);
}
