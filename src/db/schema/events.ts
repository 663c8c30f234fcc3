import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { timestamps } from "./columns";

/**
 * Transactional outbox: each domain event (`user.registered`, `training.created`,
 * `registration.completed`, ...) is written in the same `batch()` as the change it describes, so
 * webhook delivery only has to read this table and nothing is lost when a request fails later.
 */
export const outboxEvents = sqliteTable(
  "outbox_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    event: text("event").notNull(),
    /** JSON `{event, timestamp, data}` as delivered to webhooks. */
    payload: text("payload").notNull(),
    createdAt: timestamps.createdAt,
    dispatchedAt: text("dispatched_at"),
    /** Until when the relay that claimed the event is sending it (the cron relay's conditional claim). */
    leasedUntil: text("leased_until"),
    /** JSON array of the webhook endpoints subscribed when the event was recorded: where it goes (null before migration 0020: those subscribed when it is relayed). */
    endpointIds: text("endpoint_ids"),
  },
  (t) => [index("outbox_events_pending_idx").on(t.dispatchedAt, t.id)],
);

/**
 * Report cron runs by cron and scheduled time: completed (their report work succeeded), or claimed
 * by the every-minute run that redoes the latest run of a cron when it did not complete (it failed,
 * or its trigger was missed), so a failed scheduled run is not lost until the next period.
 */
export const scheduledRuns = sqliteTable(
  "scheduled_runs",
  {
    cron: text("cron").notNull(),
    /** The run's scheduled time (ISO 8601, whole minute). */
    scheduledFor: text("scheduled_for").notNull(),
    completedAt: text("completed_at"),
    /** Until when a redo of the run holds it (a redo that dies is taken up again after). */
    leasedUntil: text("leased_until"),
  },
  (t) => [primaryKey({ columns: [t.cron, t.scheduledFor] })],
);
