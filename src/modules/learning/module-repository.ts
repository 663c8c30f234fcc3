import { and, count, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { moduleProgress, modules } from "../../db/schema";
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

/** The row values of a module, in API names. */
export interface ModuleValues {
  title: string;
  clean_title: string;
  description: string | null;
  est_time: string;
  difficulty: string | null;
  max_score: number;
}

/** A page of the catalog and its total, in one batch. */
export async function listModules(db: Db, page: Page): Promise<{ rows: ModuleView[]; total: number }> {
  const [totals, rows] = await db.batch([
    db.select({ total: count() }).from(modules),
    db.select(moduleColumns).from(modules).orderBy(modules.id).limit(page.limit).offset(page.skip),
  ]);
  return { rows, total: totals[0]?.total ?? 0 };
}

/** One module by id, or undefined. */
export async function findModule(db: Db, id: number): Promise<ModuleView | undefined> {
  const rows = await db.select(moduleColumns).from(modules).where(eq(modules.id, id)).limit(1);
  return rows[0];
}

/** Inserts a module. */
export async function insertModule(db: Db, v: ModuleValues, now: string): Promise<ModuleView | undefined> {
  const rows = await db
    .insert(modules)
    .values({
      title: v.title,
      cleanTitle: v.clean_title,
      description: v.description,
      estTime: v.est_time,
      difficulty: v.difficulty,
      maxScore: v.max_score,
      createdAt: now,
      updatedAt: now,
    })
    .returning(moduleColumns);
  return rows[0];
}

/**
 * Updates a module; a new `max_score` only when no recorded score exceeds it, decided in the same
 * statement. Undefined when nothing matched.
 */
export async function updateModule(
  db: Db,
  id: number,
  patch: Partial<ModuleValues>,
  now: string,
): Promise<ModuleView | undefined> {
  const max = patch.max_score;
  const rows = await db
    .update(modules)
    .set({
      title: patch.title,
      cleanTitle: patch.clean_title,
      description: patch.description,
      estTime: patch.est_time,
      difficulty: patch.difficulty,
      maxScore: max,
      updatedAt: now,
    })
    .where(
      and(
        eq(modules.id, id),
        max === undefined
          ? undefined
          : sql`NOT EXISTS (SELECT 1 FROM module_progress p WHERE p.module_id = ${id} AND p.score > ${max})`,
      ),
    )
    .returning(moduleColumns);
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

/** Deletes a module (its progress records go with it, by the foreign key's cascade). True when deleted. */
export async function deleteModule(db: Db, id: number): Promise<boolean> {
  const rows = await db.delete(modules).where(eq(modules.id, id)).returning({ id: modules.id });
  return rows.length > 0;
}
