import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { moduleProgress, modules, users } from "../../db/schema";
import { type Statement, statement } from "../../db/statement";

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
export async function lookupProgress(db: Db, userId: number, moduleId: number): Promise<ProgressLookup> {
  const row = await db.get<ProgressLookup | undefined>(
    sql`SELECT u.id AS user_id, m.id AS module_id, m.max_score, p.score
       FROM (SELECT 1) LEFT JOIN users u ON u.id = ${userId} LEFT JOIN modules m ON m.id = ${moduleId}
       LEFT JOIN module_progress p ON p.user_id = u.id AND p.module_id = m.id`,
  );
  return row ?? { user_id: null, module_id: null, max_score: null, score: null };
}

/**
 * Creates or updates a user's score in a module, only when it does not exceed the module's
 * `max_score` (checked in the same statement). Returns no row when nothing was written.
 */
export function upsertProgressStatement(
  d1: D1Database,
  userId: number,
  moduleId: number,
  score: number,
  now: string,
): Statement<{ score: number; max_score: number }> {
  return statement(
    d1,
    `INSERT INTO module_progress (user_id, module_id, score, created_at, updated_at)
     SELECT ?1, m.id, ?3, ?4, ?4 FROM modules m WHERE m.id = ?2 AND ?3 <= m.max_score
     ON CONFLICT (user_id, module_id) DO UPDATE SET score = excluded.score, updated_at = excluded.updated_at
     RETURNING score, (SELECT max_score FROM modules WHERE id = ?2) AS max_score`,
    userId,
    moduleId,
    score,
    now,
  );
}
