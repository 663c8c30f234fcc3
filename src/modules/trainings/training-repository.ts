import { and, count, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { trainings, users } from "../../db/schema";
import type { Page } from "../../lib/pagination";
import type { TrainingFilters, TrainingView } from "./schemas";

/** Columns of a training view, aliased to the API's snake_case names. */
export const trainingColumns = {
  id: trainings.id,
  title: trainings.title,
  description: trainings.description,
  category: trainings.category,
  level: trainings.level,
  status: trainings.status,
  duration_minutes: trainings.durationMinutes,
  credits: trainings.credits,
  instructor_id: trainings.instructorId,
  max_participants: trainings.maxParticipants,
  start_date: trainings.startDate,
  end_date: trainings.endDate,
  location: trainings.location,
  created_at: trainings.createdAt,
  updated_at: trainings.updatedAt,
};

/** The same columns for raw `RETURNING` clauses. */
const RETURNING = `id, title, description, category, level, status, duration_minutes, credits, instructor_id,
  max_participants, start_date, end_date, location, created_at, updated_at`;

/** Active (not cancelled) registrations of the outer `trainings` row, as SQL. */
const activeRegistrations = sql`(SELECT count(*) FROM registrations r WHERE r.training_id = "trainings"."id" AND r.status <> 'CANCELLED')`;

/** Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/** The row values of a new training, in API names (dates already normalized). */
export interface NewTraining {
  title: string;
  description: string | null;
  category: TrainingView["category"];
  level: TrainingView["level"];
  status: TrainingView["status"];
  duration_minutes: number | null;
  credits: number | null;
  instructor_id: number | null;
  max_participants: number | null;
  start_date: string | null;
  end_date: string | null;
  location: string | null;
}

/** A page of trainings matching the filters and their total, in one batch. */
export async function listTrainings(
  db: Db,
  filters: TrainingFilters,
  page: Page,
): Promise<{ rows: TrainingView[]; total: number }> {
  const conditions: (SQL | undefined)[] = [
    filters.category ? eq(trainings.category, filters.category) : undefined,
    filters.level ? eq(trainings.level, filters.level) : undefined,
    filters.status ? eq(trainings.status, filters.status) : undefined,
    filters.instructor_id !== undefined ? eq(trainings.instructorId, filters.instructor_id) : undefined,
    filters.search
      ? sql`(${trainings.title} LIKE ${likePattern(filters.search)} ESCAPE '\\' OR ${trainings.description} LIKE ${likePattern(filters.search)} ESCAPE '\\')`
      : undefined,
  ];
  const where = and(...conditions);
  const [totals, rows] = await db.batch([
    db.select({ total: count() }).from(trainings).where(where),
    db.select(trainingColumns).from(trainings).where(where).orderBy(trainings.id).limit(page.limit).offset(page.skip),
  ]);
  return { rows, total: totals[0]?.total ?? 0 };
}

/** One training by id, or undefined. */
export async function findTraining(db: Db, id: number): Promise<TrainingView | undefined> {
  const rows = await db.select(trainingColumns).from(trainings).where(eq(trainings.id, id)).limit(1);
  return rows[0];
}

/** True when the user exists and is active. */
export async function isActiveUser(db: Db, userId: number): Promise<boolean> {
  const rows = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, userId), eq(users.isActive, true)))
    .limit(1);
  return rows.length > 0;
}

/** The statement inserting a training, returning its view. */
export function insertTrainingStatement(d1: D1Database, t: NewTraining, createdBy: number, now: string) {
  return d1
    .prepare(
      `INSERT INTO trainings (title, description, category, level, status, duration_minutes, credits, instructor_id,
         max_participants, start_date, end_date, location, created_by, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14) RETURNING ${RETURNING}`,
    )
    .bind(
      t.title,
      t.description,
      t.category,
      t.level,
      t.status,
      t.duration_minutes,
      t.credits,
      t.instructor_id,
      t.max_participants,
      t.start_date,
      t.end_date,
      t.location,
      createdBy,
      now,
    );
}

/**
 * Updates a training; with a new `max_participants`, only when it is not below the training's active
 * registrations, decided in the same statement so a concurrent registration can't slip past it.
 * Undefined when nothing matched (missing training, or the seat limit was refused).
 */
export async function updateTraining(
  db: Db,
  id: number,
  patch: Partial<NewTraining>,
  now: string,
): Promise<TrainingView | undefined> {
  const { max_participants: max } = patch;
  const rows = await db
    .update(trainings)
    .set({
      title: patch.title,
      description: patch.description,
      category: patch.category,
      level: patch.level,
      status: patch.status,
      durationMinutes: patch.duration_minutes,
      credits: patch.credits,
      instructorId: patch.instructor_id,
      maxParticipants: max,
      startDate: patch.start_date,
      endDate: patch.end_date,
      location: patch.location,
      updatedAt: now,
    })
    .where(and(eq(trainings.id, id), typeof max === "number" ? sql`${activeRegistrations} <= ${max}` : undefined))
    .returning(trainingColumns);
  return rows[0];
}

/** The number of active (not cancelled) registrations of a training. */
export async function countActiveRegistrations(db: Db, id: number): Promise<number> {
  const rows = await db
    .select({ n: sql<number>`${activeRegistrations}` })
    .from(trainings)
    .where(eq(trainings.id, id));
  return rows[0]?.n ?? 0;
}

/**
 * Deletes a training only when no registration (of any status) refers to it, in one statement.
 * True when it was deleted.
 */
export async function deleteTrainingWithoutRegistrations(d1: D1Database, id: number): Promise<boolean> {
  const row = await d1
    .prepare(
      "DELETE FROM trainings WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM registrations WHERE training_id = ?1) RETURNING id",
    )
    .bind(id)
    .first<{ id: number }>();
  return row !== null;
}

/** How many registrations (of any status) refer to a training. */
export async function countAllRegistrations(d1: D1Database, id: number): Promise<number> {
  const row = await d1
    .prepare("SELECT count(*) AS n FROM registrations WHERE training_id = ?1")
    .bind(id)
    .first<{ n: number }>();
  return row?.n ?? 0;
}
