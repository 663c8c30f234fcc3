import { type Statement, statement } from "./statement";

/** The latest completed run of each of `crons` (its scheduled time, ISO), by cron. */
export function lastCompletedRunsStatement(
  d1: D1Database,
  crons: readonly string[],
): Statement<{ cron: string; last: string }> {
  return statement(
    d1,
    `SELECT cron, max(scheduled_for) AS last FROM scheduled_runs
      WHERE cron IN (SELECT value FROM json_each(?1)) AND completed_at IS NOT NULL GROUP BY cron`,
    JSON.stringify(crons),
  );
}

/** Records that the run of `cron` scheduled for `scheduledFor` completed (a repeat changes nothing). */
export function recordCompletedRunStatement(d1: D1Database, cron: string, scheduledFor: string, at: string): Statement {
  return statement(
    d1,
    `INSERT INTO scheduled_runs (cron, scheduled_for, completed_at) VALUES (?1, ?2, ?3)
     ON CONFLICT (cron, scheduled_for) DO UPDATE SET completed_at = coalesce(scheduled_runs.completed_at, excluded.completed_at), leased_until = NULL`,
    cron,
    scheduledFor,
    at,
  );
}

/**
 * Claims the redo of the run of `cron` scheduled for `scheduledFor` until `leaseUntil`: a row when
 * this caller holds it, none when the run completed or another redo holds it. One conditional
 * statement, so two every-minute runs never redo the same run at once.
 */
export function claimRunRedoStatement(
  d1: D1Database,
  cron: string,
  scheduledFor: string,
  now: string,
  leaseUntil: string,
): Statement<{ cron: string }> {
  return statement(
    d1,
    `INSERT INTO scheduled_runs (cron, scheduled_for, leased_until) VALUES (?1, ?2, ?4)
     ON CONFLICT (cron, scheduled_for) DO UPDATE SET leased_until = excluded.leased_until
       WHERE scheduled_runs.completed_at IS NULL AND (scheduled_runs.leased_until IS NULL OR scheduled_runs.leased_until <= ?3)
     RETURNING cron`,
    cron,
    scheduledFor,
    now,
    leaseUntil,
  );
}
