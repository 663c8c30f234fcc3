import { type Statement, statement } from "../../db/statement";

/**
 * What the cron purges, one line per table: rows whose `column` (an ISO time) is before the cutoff
 * of their `keep` policy. `audit` keeps `AUDIT_RETENTION_DAYS`, `session` keeps
 * `SESSION_RETENTION_DAYS` past expiry or revocation, `attempt` an hour (epoch ms; a counter of failed
 * password checks is dead once its hour and its lock have passed), `event` keeps `EVENT_RETENTION_DAYS`
 * after dispatch (an event's webhook deliveries and their attempts go first, each table bounded per
 * run like the others; its retries end within days). Refresh tokens are kept until they expire, used or not: a used token
 * presented again must still be recognized as a replay.
 */
export const PURGES = [
  { table: "auth_events", where: "created_at < ?1", keep: "audit" },
  { table: "refresh_tokens", where: "expires_at < ?1", keep: "session" },
  { table: "sessions", where: "expires_at < ?1 OR revoked_at < ?1", keep: "session" },
  { table: "login_attempts", where: "window_started_ms < ?1 AND locked_until_ms < ?1 + 3600000", keep: "attempt" },
  // An expired event's attempts, then its deliveries, then the event: each bounded, so no delete
  // cascades to an unbounded number of rows.
  {
    table: "webhook_attempts",
    where: `delivery_id IN (SELECT d.id FROM webhook_deliveries d JOIN outbox_events o ON o.id = d.event_id
                             WHERE o.dispatched_at < ?1)`,
    keep: "event",
  },
  {
    table: "webhook_deliveries",
    where: `event_id IN (SELECT id FROM outbox_events WHERE dispatched_at < ?1)
            AND NOT EXISTS (SELECT 1 FROM webhook_attempts a WHERE a.delivery_id = webhook_deliveries.id)`,
    keep: "event",
  },
  {
    table: "outbox_events",
    where: "dispatched_at < ?1 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = outbox_events.id)",
    keep: "event",
  },
  // Cron runs: the redo needs only each cron's latest, and the crons run daily and weekly.
  { table: "scheduled_runs", where: "scheduled_for < ?1", keep: "event" },
] as const satisfies readonly PurgeRule[];

/** One table's retention rule. */
export interface PurgeRule {
  table: string;
  /** SQL over the cutoff bound at `?1`. */
  where: string;
  keep: "audit" | "session" | "attempt" | "event";
}

/**
 * Rows one run deletes per table at most: after a long gap (or on the first run), the backlog goes
 * over several runs instead of one statement that deletes and returns everything at once.
 */
export const PURGE_BATCH_ROWS = 5000;

/**
 * Deletes up to `PURGE_BATCH_ROWS` rows of `rule.table` past their retention (`cutoff`: ISO, or
 * epoch ms); returns one row per row deleted.
 */
export function purgeStatement(d1: D1Database, rule: PurgeRule, cutoff: string | number): Statement<{ n: number }> {
  if (!/^[a-z_]+$/.test(rule.table)) throw new Error(`bad table ${rule.table}`);
  return statement(
    d1,
    `DELETE FROM ${rule.table} WHERE rowid IN
       (SELECT rowid FROM ${rule.table} WHERE ${rule.where} LIMIT ${PURGE_BATCH_ROWS}) RETURNING 1 AS n`,
    cutoff,
  );
}
