import { and, avg, count, countDistinct, desc, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Db } from "../../db/client";
import { authEvents, moduleProgress, modules, registrations, trainings, users } from "../../db/schema";

/** A half-open period `[start, end)`, ISO UTC as stored. */
export interface Period {
  start: string;
  end: string;
}

/** Audit events that are a sign-in: what makes a user active in a period. */
export const SIGN_IN_EVENTS = ["login", "magic_link_login"] as const;

/** How many trainings and modules a report lists at most. */
export const TOP_TRAININGS = 5;
export const TOP_MODULES = 10;

const within = (column: SQLiteColumn, p: Period): SQL => sql`(${column} >= ${p.start} AND ${column} < ${p.end})`;
const countWithin = (column: SQLiteColumn, p: Period) =>
  sql<number>`coalesce(sum(CASE WHEN ${within(column, p)} THEN 1 ELSE 0 END), 0)`;
const between = (column: SQLiteColumn, from: string, to: string) => and(gte(column, from), lt(column, to));

/**
 * Every computed column is aliased (`.as()`): D1 names an unaliased expression by its text, in which
 * bound values are `?`, so two expressions differing only in their values would share a name.
 *
 * Every aggregate a report needs, for `current` and the `previous` period right before it, as one
 * `batch()`: one D1 round trip whatever the data size. Each query is bounded by an index on the time
 * column it filters (`users_created_idx`, `auth_events_event_created_idx`,
 * `registrations_registered_idx`, `registrations_completed_idx`); only the totals scan a table.
 */
export async function readPeriodAggregates(db: Db, current: Period, previous: Period) {
  const periodRegistrations = db
    .select({ trainingId: registrations.trainingId, n: count().as("n") })
    .from(registrations)
    .where(between(registrations.registeredAt, current.start, current.end))
    .groupBy(registrations.trainingId)
    .orderBy(desc(count()), registrations.trainingId)
    .limit(TOP_TRAININGS)
    .as("p");
  const [userTotals, newUsers, activeUsers, byStatus, completions, perDay, top, progress, progressByModule] =
    await db.batch([
      db
        .select({
          users: count().as("users"),
          active_accounts: sql<number>`coalesce(sum(${users.isActive}), 0)`.as("active_accounts"),
          trainings: sql<number>`(SELECT count(*) FROM ${trainings})`.as("trainings"),
          published_trainings:
            sql<number>`(SELECT count(*) FROM ${trainings} WHERE ${trainings.status} = 'PUBLISHED')`.as(
              "published_trainings",
            ),
        })
        .from(users)
        .where(lt(users.createdAt, current.end)),
      db
        .select({
          current: countWithin(users.createdAt, current).as("current"),
          previous: countWithin(users.createdAt, previous).as("previous"),
        })
        .from(users)
        .where(between(users.createdAt, previous.start, current.end)),
      db
        .select({
          current: countDistinct(
            sql`CASE WHEN ${within(authEvents.createdAt, current)} THEN ${authEvents.userId} END`,
          ).as("current"),
          previous: countDistinct(
            sql`CASE WHEN ${within(authEvents.createdAt, previous)} THEN ${authEvents.userId} END`,
          ).as("previous"),
        })
        .from(authEvents)
        .where(
          and(
            inArray(authEvents.event, [...SIGN_IN_EVENTS]),
            between(authEvents.createdAt, previous.start, current.end),
          ),
        ),
      db
        .select({
          status: registrations.status,
          current: countWithin(registrations.registeredAt, current).as("current"),
          previous: countWithin(registrations.registeredAt, previous).as("previous"),
        })
        .from(registrations)
        .where(between(registrations.registeredAt, previous.start, current.end))
        .groupBy(registrations.status),
      db
        .select({
          current: countWithin(registrations.completionDate, current).as("current"),
          previous: countWithin(registrations.completionDate, previous).as("previous"),
        })
        .from(registrations)
        .where(between(registrations.completionDate, previous.start, current.end)),
      db
        .select({ day: sql<string>`substr(${registrations.registeredAt}, 1, 10)`.as("day"), n: count().as("n") })
        .from(registrations)
        .where(between(registrations.registeredAt, current.start, current.end))
        .groupBy(sql`day`),
      db
        .select({
          training_id: trainings.id,
          title: trainings.title,
          registrations: periodRegistrations.n,
          seats_taken:
            sql<number>`(SELECT count(*) FROM ${registrations} r WHERE r.training_id = ${trainings.id} AND r.status <> 'CANCELLED')`.as(
              "seats_taken",
            ),
          seats_offered: trainings.maxParticipants,
        })
        .from(periodRegistrations)
        .innerJoin(trainings, eq(trainings.id, periodRegistrations.trainingId))
        .orderBy(desc(periodRegistrations.n), trainings.id),
      db
        .select({
          enrollments: count().as("enrollments"),
          average_score: avg(moduleProgress.score).as("average_score"),
          updated_in_period: countWithin(moduleProgress.updatedAt, current).as("updated_in_period"),
          average_score_updated_in_period: sql<
            number | null
          >`avg(CASE WHEN ${within(moduleProgress.updatedAt, current)} THEN ${moduleProgress.score} END)`.as(
            "average_score_updated_in_period",
          ),
        })
        .from(moduleProgress)
        .where(lt(moduleProgress.createdAt, current.end)),
      db
        .select({
          module_id: modules.id,
          title: modules.title,
          enrollments: count().as("enrollments"),
          average_score: avg(moduleProgress.score).as("average_score"),
          max_score: modules.maxScore,
        })
        .from(moduleProgress)
        .innerJoin(modules, eq(modules.id, moduleProgress.moduleId))
        .where(lt(moduleProgress.createdAt, current.end))
        .groupBy(modules.id)
        .orderBy(desc(count()), modules.id)
        .limit(TOP_MODULES),
    ]);
  return { userTotals, newUsers, activeUsers, byStatus, completions, perDay, top, progress, progressByModule };
}
