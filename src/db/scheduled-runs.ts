import { type Statement, statement } from "./statement";

/** The latest completed run of each of `crons` (its scheduled time, ISO), by cron. */
export function lastCompletedRunsStatement(
  d1: D1Database,
  crons: readonly string[],
): Statement<{ cron: string; last: string }> {
  return statement(
    d1,
    `SELECT cron, max(scheduled_for) AS last FROM scheduled_runs
      WHERE cron IN (SELECT value FROM json_each(?1)) GROUP BY cron`,
    JSON.stringify(crons),
  );
}

/** Records that the run of `cron` scheduled for `scheduledFor` completed (a repeat changes nothing). */
export function recordCompletedRunStatement(d1: D1Database, cron: string, scheduledFor: string, at: string): Statement {
  return statement(
    d1,
    "INSERT OR IGNORE INTO scheduled_runs (cron, scheduled_for, completed_at) VALUES (?1, ?2, ?3)",
    cron,
    scheduledFor,
    at,
  );
}
