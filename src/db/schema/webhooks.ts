import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { bool, timestamps } from "./columns";
import { outboxEvents } from "./events";
import { users } from "./identity";

/**
 * Webhook endpoints. The signing secret is stored encrypted (AES-GCM under a key derived from
 * `PASSWORD_PEPPER`): it must sign, so it can't be a hash. During 24 hours after a rotation the
 * previous secret signs too.
 */
export const webhookEndpoints = sqliteTable("webhook_endpoints", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  url: text("url").notNull(),
  /** JSON array of the subscribed event names. */
  events: text("events").notNull(),
  description: text("description"),
  active: bool("active").notNull().default(true),
  disabledReason: text("disabled_reason"),
  secret: text("secret").notNull(),
  previousSecret: text("previous_secret"),
  previousSecretExpiresAt: text("previous_secret_expires_at"),
  /** When the current run of failed attempts began (null after a success): the clock of `WEBHOOK_DISABLE_AFTER_DAYS`. */
  failingSince: text("failing_since"),
  createdBy: integer("created_by").references(() => users.id, { onDelete: "set null" }),
  ...timestamps,
});

/**
 * One delivery of one event to one endpoint (the queue message's unit). `status` moves `pending` →
 * `delivered`, or → `failed` (dead-lettered, 410 Gone, endpoint disabled).
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    endpointId: integer("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    eventId: integer("event_id")
      .notNull()
      .references(() => outboxEvents.id, { onDelete: "cascade" }),
    event: text("event").notNull(),
    status: text("status", { enum: ["pending", "delivered", "failed"] })
      .notNull()
      .default("pending"),
    attemptCount: integer("attempt_count").notNull().default(0),
    lastAttemptAt: text("last_attempt_at"),
    /**
     * No attempt before this time: the lease of the consumer sending it now, or the time of its next
     * retry after a failed attempt. Another message for the same delivery (Queues delivers at least
     * once) that comes earlier waits instead of sending. Null: due now.
     */
    nextAttemptAt: text("next_attempt_at"),
    deliveredAt: text("delivered_at"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("webhook_deliveries_event_endpoint_unique").on(t.eventId, t.endpointId),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.id),
  ],
);

/** Every attempt at a delivery: when, the answer's status or the network error, how long, the first 1 KiB. */
export const webhookAttempts = sqliteTable(
  "webhook_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    deliveryId: integer("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    attemptedAt: text("attempted_at").notNull(),
    responseStatus: integer("response_status"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
    responseBody: text("response_body"),
  },
  (t) => [index("webhook_attempts_delivery_idx").on(t.deliveryId, t.id)],
);
