import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { findPage } from "../../db/page";
import { moduleProgress, modules } from "../../db/schema";
import { assignments, type Statement, statement } from "../../db/statement";
import type { Page } from "../../lib/pagination";
import type { ModuleView } from "./schemas";

/** Columns of a module view, aliased to the API's snake_case names. */
export const moduleColumns = {
  id: modules.id,
  title: modules.title,
  clean_title: modules.cleanTitle,
  description: modules.description,
  est_time: modules.estTime,
  difficulty: modules.difficulty,
  max_score: modules.maxScore,
};

/** The same columns for `RETURNING` clauses. */
const RETURNING = "id, title, clean_title, description, est_time, difficulty, max_score";

/** The row values of a module, in API names, which are also its column names. */
export interface ModuleValues {
  title: string;
  clean_title: string;
  description: string | null;
  est_time: string;
  difficulty: string | null;
  max_score: number;
}

/** A page of the catalog and its total. */
export function listModules(db: Db, page: Page) {
  return findPage<ModuleView>(
    db,
    { from: modules, columns: moduleColumns, where: undefined, orderBy: modules.id },
    page,
  );
}

/** One module by id, or undefined. */
export async function findModule(db: Db, id: number): Promise<ModuleView | undefined> {
  const rows = await db.select(moduleColumns).from(modules).where(eq(modules.id, id)).limit(1);
  return rows[0];
}

/** The highest score recorded in a module (0 when none). */
export async function highestScore(db: Db, id: number): Promise<number> {
  const rows = await db
    .select({ top: sql<number>`coalesce(max(${moduleProgress.score}), 0)` })
    .from(moduleProgress)
    .where(eq(moduleProgress.moduleId, id));
  return rows[0]?.top ?? 0;
}

/** Inserts a module, returning its view. */
export function insertModuleStatement(d1: D1Database, v: ModuleValues, now: string): Statement<ModuleView> {
  return statement(
    d1,
    `INSERT INTO modules (title, clean_title, description, est_time, difficulty, max_score, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING ${RETURNING}`,
    v.title,
    v.clean_title,
    v.description,
    v.est_time,
    v.difficulty,
    v.max_score,
    now,
  );
}

/**
 * Updates a module's given fields; a new `max_score` only when no recorded score exceeds it, decided
 * in the same statement. Returns no row when nothing matched.
 */
export function updateModuleStatement(
  d1: D1Database,
  id: number,
  patch: Partial<ModuleValues>,
  now: string,
): Statement<ModuleView> {
  const set = assignments({ ...patch, updated_at: now }, 3);
  const max = patch.max_score;
  const scores =
    max === undefined
      ? ""
      : " AND NOT EXISTS (SELECT 1 FROM module_progress p WHERE p.module_id = ?1 AND p.score > ?2)";
  return statement(
    d1,
    `UPDATE modules SET ${set.sql} WHERE id = ?1${scores} RETURNING ${RETURNING}`,
    id,
    max ?? null,
    ...set.params,
  );
}

/** Deletes a module (its progress records go with it, by the foreign key's cascade); returns its id when deleted. */
export function deleteModuleStatement(d1: D1Database, id: number): Statement<{ id: number }> {
  return statement(d1, "DELETE FROM modules WHERE id = ?1 RETURNING id", id);
}
