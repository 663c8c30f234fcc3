import { and, count, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { preparedPage, type Runner } from "../../db/prepared";
import { trainings } from "../../db/schema";
import { amongIds, likeMatch, likePattern } from "../../db/sql";
import { assignments, type Statement, statement } from "../../db/statement";
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

/** The same columns for `RETURNING` clauses. */
const RETURNING = `id, title, description, category, level, status, duration_minutes, credits, instructor_id,
  max_participants, start_date, end_date, location, created_at, updated_at`;

/** Active (not cancelled) registrations of training `?<param>`, as SQL. */
const activeRegistrationsOf = (param: string) =>
  `(SELECT count(*) FROM registrations r WHERE r.training_id = ${param} AND r.status <> 'CANCELLED')`;

/** The row values of a training, in API names, which are also its column names (dates already normalized). */
export interface TrainingValues {
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

/** A page of trainings matching the filters, and their total. */
export function listTrainings(db: Runner, filters: TrainingFilters, page: Page) {
  return trainingPage<TrainingView>(db, filters, page, {
    ...filters,
    search: filters.search === undefined ? undefined : likePattern(filters.search),
  });
}
const trainingPage = preparedPage((f: TrainingFilters) => ({
  from: trainings,
  columns: trainingColumns,
  orderBy: trainings.id,
  where: and(
    f.category ? eq(trainings.category, sql.placeholder("category")) : undefined,
    f.level ? eq(trainings.level, sql.placeholder("level")) : undefined,
    f.status ? eq(trainings.status, sql.placeholder("status")) : undefined,
    f.instructor_id !== undefined ? eq(trainings.instructorId, sql.placeholder("instructor_id")) : undefined,
    f.search
      ? sql`(${likeMatch(trainings.title, sql.placeholder("search"))} OR ${likeMatch(trainings.description, sql.placeholder("search"))})`
      : undefined,
  ),
}));

/** One training by id, or undefined. */
export async function findTraining(db: Db, id: number): Promise<TrainingView | undefined> {
  const rows = await db.select(trainingColumns).from(trainings).where(eq(trainings.id, id)).limit(1);
  return rows[0];
}

/** How many registrations refer to a training: active ones and all (cancelled ones are history). */
export async function countRegistrations(db: Db, id: number): Promise<{ active: number; all: number }> {
  const rows = await db.all<{ active: number; all: number }>(
    sql`SELECT count(*) FILTER (WHERE status <> 'CANCELLED') AS active, count(*) AS "all"
          FROM registrations WHERE training_id = ${id}`,
  );
  return rows[0] ?? { active: 0, all: 0 };
}

/** Inserts a training, returning its view. */
export function insertTrainingStatement(
  d1: D1Database,
  t: TrainingValues,
  createdBy: number,
  now: string,
): Statement<TrainingView> {
  return statement(
    d1,
    `INSERT INTO trainings (title, description, category, level, status, duration_minutes, credits, instructor_id,
       max_participants, start_date, end_date, location, created_by, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14) RETURNING ${RETURNING}`,
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
 * Updates a training's given fields; with a new `max_participants`, only when it is not below the
 * training's active registrations, decided in the same statement so a concurrent registration can't
 * slip past it. Returns no row when nothing matched (missing training, or the seat limit refused).
 */
export function updateTrainingStatement(
  d1: D1Database,
  id: number,
  patch: Partial<TrainingValues>,
  now: string,
): Statement<TrainingView> {
  const set = assignments({ ...patch, updated_at: now }, 3);
  const max = patch.max_participants;
  const seats = typeof max === "number" ? ` AND ${activeRegistrationsOf("?1")} <= ?2` : "";
  return statement(
    d1,
    `UPDATE trainings SET ${set.sql} WHERE id = ?1${seats} RETURNING ${RETURNING}`,
    id,
    max ?? null,
    ...set.params,
  );
}

/**
 * Deletes a training only when no registration (of any status) refers to it, in one statement;
 * returns its id when deleted.
 */
export function deleteTrainingWithoutRegistrationsStatement(d1: D1Database, id: number): Statement<{ id: number }> {
  return statement(
    d1,
    "DELETE FROM trainings WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM registrations WHERE training_id = ?1) RETURNING id",
    id,
  );
}

/** A published training with its seats, as the chat's catalog lists it. */
export interface CatalogEntry {
  id: number;
  title: string;
  category: TrainingView["category"];
  start_date: string | null;
  max_participants: number | null;
  /** Active (not cancelled) registrations. */
  seats_taken: number;
}

/** Up to `limit` published trainings with their seats taken, soonest first, and how many are published, in one batch. */
export async function findCatalogWithSeats(db: Db, limit: number): Promise<{ rows: CatalogEntry[]; total: number }> {
  const published = eq(trainings.status, "PUBLISHED");
  const [rows, totals] = await db.batch([
    db
      .select({
        id: trainings.id,
        title: trainings.title,
        category: trainings.category,
        start_date: trainings.startDate,
        max_participants: trainings.maxParticipants,
        seats_taken: sql<number>`${sql.raw(activeRegistrationsOf("trainings.id"))}`,
      })
      .from(trainings)
      .where(published)
      .orderBy(sql`${trainings.startDate} IS NULL`, trainings.startDate, trainings.id)
      .limit(limit),
    db.select({ n: count() }).from(trainings).where(published),
  ]);
  return { rows, total: totals[0]?.n ?? 0 };
}

/** The titles of trainings by id: published ones, and drafts too with `drafts` (for who may see them). */
export async function findTrainingTitles(
  db: Db,
  ids: readonly number[],
  options: { drafts: boolean },
): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: trainings.id, title: trainings.title })
    .from(trainings)
    .where(and(amongIds(trainings.id, ids), options.drafts ? undefined : eq(trainings.status, "PUBLISHED")));
  return new Map(rows.map((r) => [r.id, r.title]));
}
