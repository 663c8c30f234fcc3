import { runOne, theRow } from "../../db/statement";
import { isoNow } from "../../lib/clock";
import type { Page } from "../../lib/pagination";
import type { Deps } from "../../middleware/deps";
import { LearningErrors } from "./errors";
import {
  deleteModuleStatement,
  findModule,
  highestScore,
  insertModuleStatement,
  listModules,
  type ModuleValues,
  updateModuleStatement,
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
export function moduleCatalog(deps: Deps, page: Page) {
  return listModules(deps.db, page);
}

/** One module, or 404 `MODULE_NOT_FOUND`. */
export async function getModule(deps: Deps, id: number): Promise<ModuleView> {
  const module = await findModule(deps.db, id);
  if (!module) throw LearningErrors.MODULE_NOT_FOUND(id);
  return module;
}

/** Adds a module to the catalog. */
export async function createModule(deps: Deps, input: CreateModuleInput): Promise<ModuleView> {
  const values: ModuleValues = {
    title: input.title,
    clean_title: input.clean_title ?? cleanTitleOf(input.title),
    description: input.description ?? null,
    est_time: input.est_time,
    difficulty: input.difficulty ?? null,
    max_score: input.max_score,
  };
  return theRow(await runOne(deps.d1, insertModuleStatement(deps.d1, values, isoNow(deps.clock))), "module insert");
}

/** Updates any subset of a module's fields; `max_score` may not drop below a recorded score (409). */
export async function updateModuleById(deps: Deps, id: number, input: UpdateModuleInput): Promise<ModuleView> {
  const [updated] = await runOne(deps.d1, updateModuleStatement(deps.d1, id, input, isoNow(deps.clock)));
  if (updated) return updated;
  await getModule(deps, id);
  throw LearningErrors.MAX_SCORE_BELOW_SCORES(id, input.max_score, await highestScore(deps.db, id));
}

/** Removes a module from the catalog, with the progress recorded in it. */
export async function deleteModuleById(deps: Deps, id: number): Promise<void> {
  const [deleted] = await runOne(deps.d1, deleteModuleStatement(deps.d1, id));
  if (!deleted) throw LearningErrors.MODULE_NOT_FOUND(id);
}
