import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { moduleProgress, modules, users } from "../../db/schema";

/** A user's enrollment in a module, as stored. */
export interface ProgressRow {
  user_id: number;
  module_id: number;
  module_name: string;
  score: number;
  max_score: number;
}

/** Whether the user exists, and its enrollments with each module's title and max score, in one batch. */
export async function findUserProgress(db: Db, userId: number): Promise<{ userExists: boolean; rows: ProgressRow[] }> {
  const [user, rows] = await db.batch([
    db.select({ id: users.id }).from(users).where(eq(users.id, userId)).limit(1),
    db
      .select({
        user_id: moduleProgress.userId,
        module_id: moduleProgress.moduleId,
        module_name: modules.title,
        score: moduleProgress.score,
        max_score: modules.maxScore,
      })
      .from(moduleProgress)
      .innerJoin(modules, eq(modules.id, moduleProgress.moduleId))
      .where(eq(moduleProgress.userId, userId))
      .orderBy(moduleProgress.moduleId),
  ]);
  return { userExists: user.length > 0, rows };
}

/** What exists of a user, a module and the user's enrollment in it (nulls for what doesn't). */
export interface ProgressLookup {
  user_id: number | null;
  module_id: number | null;
  max_score: number | null;
  score: number | null;
}

/** Looks up the user, the module and the enrollment together, in one query. */
export async function lookupProgress(d1: D1Database, userId: number, moduleId: number): Promise<ProgressLookup> {
  const row = await d1
    .prepare(
      `SELECT u.id AS user_id, m.id AS module_id, m.max_score, p.score
       FROM (SELECT 1) LEFT JOIN users u ON u.id = ?1 LEFT JOIN modules m ON m.id = ?2
       LEFT JOIN module_progress p ON p.user_id = u.id AND p.module_id = m.id`,
    )
    .bind(userId, moduleId)
    .first<ProgressLookup>();
  return row ?? { user_id: null, module_id: null, max_score: null, score: null };
}

/**
 * Creates or updates a user's score in a module, only when it does not exceed the module's
 * `max_score` (checked in the same statement). Undefined when nothing was written.
 */
export async function upsertProgress(
  db: Db,
  userId: number,
  moduleId: number,
  score: number,
  now: string,
): Promise<{ score: number; max_score: number } | undefined> {
  const rows = await db.all<{ score: number; max_score: number }>(
    sql`INSERT INTO module_progress (user_id, module_id, score, created_at, updated_at)
        SELECT ${userId}, m.id, ${score}, ${now}, ${now} FROM modules m WHERE m.id = ${moduleId} AND ${score} <= m.max_score
        ON CONFLICT (user_id, module_id) DO UPDATE SET score = excluded.score, updated_at = excluded.updated_at
        RETURNING score, (SELECT max_score FROM modules WHERE id = ${moduleId}) AS max_score`,
  );
  return rows[0];
}
