import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
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
  },
  (t) => [index("outbox_events_pending_idx").on(t.dispatchedAt, t.id)],
);
