import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { type PageQuery, pageResult, pageStatements } from "../../db/page";
import { preparedPage, type Runner } from "../../db/prepared";
import { registrations, trainings } from "../../db/schema";
import { type Statement, statement } from "../../db/statement";
import type { Page } from "../../lib/pagination";
import type { RegistrationFilters, RegistrationStatus, RegistrationView, ScheduleConflict } from "./schemas";

/** Columns of a registration view, aliased to the API's snake_case names. */
export const registrationColumns = {
  id: registrations.id,
  user_id: registrations.userId,
  training_id: registrations.trainingId,
  status: registrations.status,
  registered_at: registrations.registeredAt,
  attended_at: registrations.attendedAt,
  completion_date: registrations.completionDate,
  cancelled_at: registrations.cancelledAt,
  feedback_score: registrations.feedbackScore,
};

const RETURNING =
  "id, user_id, training_id, status, registered_at, attended_at, completion_date, cancelled_at, feedback_score";

/** SQL for when a training (alias `x`) ends: `end_date`, else start plus its duration, else its start. */
const endOf = (x: string) =>
  `coalesce(${x}.end_date, strftime('%Y-%m-%dT%H:%M:%fZ', ${x}.start_date, '+' || coalesce(${x}.duration_minutes, 0) || ' minutes'))`;

const filterWhere = (f: RegistrationFilters): SQL | undefined =>
  and(
    f.user_id !== undefined ? eq(registrations.userId, f.user_id) : undefined,
    f.training_id !== undefined ? eq(registrations.trainingId, f.training_id) : undefined,
    f.status ? eq(registrations.status, f.status) : undefined,
  );

/** The registrations matching `where`, as a list reads them. */
const listOf = (where: SQL | undefined): PageQuery => ({
  from: registrations,
  columns: registrationColumns,
  where,
  orderBy: registrations.id,
});

/** A page of registrations matching the filters, and their total. */
export function listRegistrations(db: Runner, filters: RegistrationFilters, page: Page) {
  return registrationPage<RegistrationView>(db, filters, page);
}
const registrationPage = preparedPage((f: RegistrationFilters) =>
  listOf(
    and(
      f.user_id !== undefined ? eq(registrations.userId, sql.placeholder("user_id")) : undefined,
      f.training_id !== undefined ? eq(registrations.trainingId, sql.placeholder("training_id")) : undefined,
      f.status ? eq(registrations.status, sql.placeholder("status")) : undefined,
    ),
  ),
);

/** A training's registrations page, its total, and whether the training exists, in one batch. */
export async function listRegistrationsOfTraining(
  db: Db,
  trainingId: number,
  status: RegistrationStatus | undefined,
  page: Page,
): Promise<{ exists: boolean; rows: RegistrationView[]; total: number }> {
  const [found, rows, totals] = await db.batch([
    db.select({ id: trainings.id }).from(trainings).where(eq(trainings.id, trainingId)).limit(1),
    ...pageStatements(db, listOf(filterWhere({ training_id: trainingId, status })), page),
  ]);
  return { exists: found.length > 0, ...pageResult<RegistrationView>(rows, totals) };
}

/** One registration by id, or undefined. */
export async function findRegistration(db: Db, id: number): Promise<RegistrationView | undefined> {
  const rows = await db.select(registrationColumns).from(registrations).where(eq(registrations.id, id)).limit(1);
  return rows[0];
}

/**
 * Two statements for one batch: (1) inserts the registration only when the training is published,
 * the user active and a seat is free, in ONE statement, so D1's serialized writes make the seat
 * count exact under any concurrency (the partial unique index refuses a second active registration
 * of the same user); (2) the user's other active registrations that overlap the training in time.
 */
export function registerStatements(d1: D1Database, userId: number, trainingId: number, now: string) {
  const insert: Statement<RegistrationView> = statement(
    d1,
    `INSERT INTO registrations (user_id, training_id, status, registered_at, updated_at)
       SELECT ?1, t.id, 'REGISTERED', ?3, ?3 FROM trainings t
       WHERE t.id = ?2 AND t.status = 'PUBLISHED'
         AND EXISTS (SELECT 1 FROM users u WHERE u.id = ?1 AND u.is_active = 1)
         AND (t.max_participants IS NULL
              OR (SELECT count(*) FROM registrations r WHERE r.training_id = t.id AND r.status <> 'CANCELLED') < t.max_participants)
       RETURNING ${RETURNING}`,
    userId,
    trainingId,
    now,
  );
  const overlaps: Statement<ScheduleConflict> = statement(
    d1,
    `SELECT o.id AS training_id, o.title, o.start_date, o.end_date
       FROM trainings n
       JOIN registrations r ON r.user_id = ?1 AND r.status <> 'CANCELLED' AND r.training_id <> n.id
       JOIN trainings o ON o.id = r.training_id AND o.status = 'PUBLISHED'
       WHERE n.id = ?2 AND n.start_date IS NOT NULL AND o.start_date IS NOT NULL
         AND (o.start_date = n.start_date OR (o.start_date < ${endOf("n")} AND n.start_date < ${endOf("o")}))
       ORDER BY o.start_date, o.id`,
    userId,
    trainingId,
  );
  return { insert, overlaps };
}

/** Why a registration was not inserted: the user, the training and its seats as they are now. */
export interface RegistrationRefusal {
  user_active: number | null;
  training_id: number | null;
  status: string | null;
  max_participants: number | null;
  taken: number | null;
  already: number | null;
}

/** Reads why `registerStatements` inserted nothing, in one query. */
export async function findRegistrationRefusal(
  db: Db,
  userId: number,
  trainingId: number,
): Promise<RegistrationRefusal> {
  const row = await db.get<RegistrationRefusal | undefined>(
    sql`SELECT (SELECT is_active FROM users WHERE id = ${userId}) AS user_active,
         t.id AS training_id, t.status, t.max_participants,
         (SELECT count(*) FROM registrations r WHERE r.training_id = t.id AND r.status <> 'CANCELLED') AS taken,
         EXISTS (SELECT 1 FROM registrations r WHERE r.training_id = t.id AND r.user_id = ${userId} AND r.status <> 'CANCELLED') AS already
       FROM (SELECT 1) LEFT JOIN trainings t ON t.id = ${trainingId}`,
  );
  return (
    row ?? { user_active: null, training_id: null, status: null, max_participants: null, taken: null, already: null }
  );
}

/**
 * Moves a registration from status `from` to `to` (possibly the same, to change only the feedback)
 * in one conditional UPDATE, so of two concurrent transitions only one can win; sets the matching
 * timestamp the first time a status is reached.
 */
export function transitionStatement(
  d1: D1Database,
  id: number,
  from: RegistrationStatus,
  to: RegistrationStatus,
  feedbackScore: number | null,
  now: string,
): Statement<RegistrationView> {
  return statement(
    d1,
    `UPDATE registrations SET status = ?3,
         attended_at = CASE WHEN ?3 = 'ATTENDED' AND status <> 'ATTENDED' THEN ?5 ELSE attended_at END,
         completion_date = CASE WHEN ?3 = 'COMPLETED' AND status <> 'COMPLETED' THEN ?5 ELSE completion_date END,
         cancelled_at = CASE WHEN ?3 = 'CANCELLED' AND status <> 'CANCELLED' THEN ?5 ELSE cancelled_at END,
         feedback_score = coalesce(?4, feedback_score),
         updated_at = ?5
       WHERE id = ?1 AND status = ?2
       RETURNING ${RETURNING}`,
    id,
    from,
    to,
    feedbackScore,
    now,
  );
}
