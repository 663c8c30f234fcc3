import { and, asc, desc, eq, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { type RecordedEvent, subscribedEndpointsSql } from "../../db/outbox";
import { pageResult, pageStatements } from "../../db/page";
import { outboxEvents, webhookAttempts, webhookDeliveries, webhookEndpoints } from "../../db/schema";
import { guardStatement, type Statement, statement } from "../../db/statement";
import type { Page } from "../../lib/pagination";
import type { AttemptView, DeliveryView } from "./schemas";

/** One delivery: an event for an endpoint, as queue messages name it. */
export interface DeliveryKey {
  event_id: number;
  endpoint_id: number;
}

const deliveryColumns = {
  id: webhookDeliveries.id,
  event: webhookDeliveries.event,
  status: webhookDeliveries.status,
  attempt_count: webhookDeliveries.attemptCount,
  last_attempt_at: webhookDeliveries.lastAttemptAt,
  created_at: webhookDeliveries.createdAt,
};

const DELIVERY_RETURNING = "id, event, status, attempt_count, last_attempt_at, created_at";

/** A page of an endpoint's deliveries, newest first, and whether the endpoint exists, in one round trip. */
export async function listDeliveries(
  db: Db,
  endpointId: number,
  status: DeliveryView["status"] | undefined,
  page: Page,
) {
  const where: SQL[] = [eq(webhookDeliveries.endpointId, endpointId)];
  if (status) where.push(eq(webhookDeliveries.status, status));
  const query = {
    from: webhookDeliveries,
    columns: deliveryColumns,
    where: and(...where),
    orderBy: desc(webhookDeliveries.id),
  };
  const [rows, totals, endpoint] = await db.batch([
    ...pageStatements(db, query, page),
    db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId)),
  ]);
  return { exists: endpoint.length > 0, ...pageResult<DeliveryView>(rows, totals) };
}

/** One delivery of an endpoint with its payload and attempts (oldest first), in one round trip. */
export async function findDeliveryWithAttempts(db: Db, endpointId: number, deliveryId: number) {
  const [deliveries, attempts] = await db.batch([
    db
      .select({ ...deliveryColumns, delivered_at: webhookDeliveries.deliveredAt, payload: outboxEvents.payload })
      .from(webhookDeliveries)
      .innerJoin(outboxEvents, eq(outboxEvents.id, webhookDeliveries.eventId))
      .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.endpointId, endpointId))),
    db
      .select({
        attempted_at: webhookAttempts.attemptedAt,
        response_status: webhookAttempts.responseStatus,
        error: webhookAttempts.error,
        duration_ms: webhookAttempts.durationMs,
        response_body: webhookAttempts.responseBody,
      })
      .from(webhookAttempts)
      .innerJoin(webhookDeliveries, eq(webhookDeliveries.id, webhookAttempts.deliveryId))
      .where(and(eq(webhookAttempts.deliveryId, deliveryId), eq(webhookDeliveries.endpointId, endpointId)))
      .orderBy(asc(webhookAttempts.id)),
  ]);
  const delivery = deliveries[0];
  return delivery ? { ...delivery, webhook_id: endpointId, attempts: attempts as AttemptView[] } : undefined;
}

/** The guard mark of `endpointActiveGuard()`. */
export const ENDPOINT_INACTIVE = "ENDPOINT_INACTIVE";

/** Fails its batch (mark `ENDPOINT_INACTIVE`) unless the endpoint exists and is active. */
export function endpointActiveGuard(d1: D1Database, endpointId: number): Statement {
  return guardStatement(
    d1,
    ENDPOINT_INACTIVE,
    "NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = ?1 AND active = 1)",
    endpointId,
  );
}

/**
 * Puts a delivered or failed delivery back to `pending` for a manual retry, if it still has the
 * status read (`from`); no row otherwise (pending, or changed meanwhile).
 */
export function reopenDeliveryStatement(
  d1: D1Database,
  endpointId: number,
  deliveryId: number,
  from: DeliveryView["status"],
  at: string,
): Statement<DeliveryView & { event_id: number }> {
  return statement(
    d1,
    `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = NULL, updated_at = ?4
     WHERE id = ?1 AND endpoint_id = ?2 AND status = ?3 AND status <> 'pending' RETURNING ${DELIVERY_RETURNING}, event_id`,
    deliveryId,
    endpointId,
    from,
    at,
  );
}

/** Puts a delivery that could not be queued back to the status it had. */
export function restoreDeliveryStatement(
  d1: D1Database,
  deliveryId: number,
  status: DeliveryView["status"],
): Statement {
  return statement(
    d1,
    "UPDATE webhook_deliveries SET status = ?2 WHERE id = ?1 AND status = 'pending'",
    deliveryId,
    status,
  );
}

/** A `webhook.test` event for one endpoint, stored as dispatched (the relay leaves it alone)... */
export function insertTestEventStatement(d1: D1Database, payload: string, at: string): Statement<{ id: number }> {
  return statement(
    d1,
    "INSERT INTO outbox_events (event, payload, created_at, dispatched_at) VALUES ('webhook.test', ?1, ?2, ?2) RETURNING id",
    payload,
    at,
  );
}

/** ...and its delivery; directly after `insertTestEventStatement()` in the batch. */
export function insertTestDeliveryStatement(
  d1: D1Database,
  endpointId: number,
  at: string,
): Statement<DeliveryView & { event_id: number }> {
  return statement(
    d1,
    `INSERT INTO webhook_deliveries (endpoint_id, event_id, event, created_at, updated_at)
     VALUES (?1, last_insert_rowid(), 'webhook.test', ?2, ?2) RETURNING ${DELIVERY_RETURNING}, event_id`,
    endpointId,
    at,
  );
}

/** SQL: the (event_id, endpoint_id) pairs of the JSON array bound at `?<param>`. */
const pairsSql = (param: number) =>
  `SELECT json_extract(value, '$[0]') AS event_id, json_extract(value, '$[1]') AS endpoint_id FROM json_each(?${param})`;
const pairsJson = (keys: readonly DeliveryKey[]) => JSON.stringify(keys.map((k) => [k.event_id, k.endpoint_id]));

/** The consumer's first statement: the delivery row of each message, created by the first message that names it. */
export function createDeliveriesStatement(d1: D1Database, keys: readonly DeliveryKey[], at: string): Statement {
  return statement(
    d1,
    `INSERT OR IGNORE INTO webhook_deliveries (endpoint_id, event_id, event, created_at, updated_at)
     SELECT e.id, o.id, o.event, ?2, ?2 FROM (${pairsSql(1)}) p
     JOIN outbox_events o ON o.id = p.event_id JOIN webhook_endpoints e ON e.id = p.endpoint_id`,
    pairsJson(keys),
    at,
  );
}

/**
 * The consumer's second statement: claims, until `leaseUntil`, the pending deliveries of the batch
 * that are due (no other consumer's lease on them, no retry waiting); returns their ids.
 */
export function claimDeliveriesStatement(
  d1: D1Database,
  keys: readonly DeliveryKey[],
  at: string,
  leaseUntil: string,
): Statement<{ id: number }> {
  return statement(
    d1,
    `UPDATE webhook_deliveries SET next_attempt_at = ?3
     WHERE (event_id, endpoint_id) IN (${pairsSql(1)}) AND status = 'pending'
       AND (next_attempt_at IS NULL OR next_attempt_at <= ?2)
     RETURNING id`,
    pairsJson(keys),
    at,
    leaseUntil,
  );
}

/** What the consumer needs to send a delivery (the secrets sealed). */
export interface OutgoingDelivery {
  id: number;
  event_id: number;
  endpoint_id: number;
  status: DeliveryView["status"];
  next_attempt_at: string | null;
  payload: string;
  url: string;
  active: number;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: string | null;
}

/** The deliveries of a message batch with their payloads and endpoints (deleted endpoints have none). */
export function outgoingDeliveriesStatement(d1: D1Database, keys: readonly DeliveryKey[]): Statement<OutgoingDelivery> {
  return statement(
    d1,
    `SELECT d.id, d.event_id, d.endpoint_id, d.status, d.next_attempt_at, o.payload, e.url, e.active, e.secret, e.previous_secret,
            e.previous_secret_expires_at
     FROM webhook_deliveries d JOIN outbox_events o ON o.id = d.event_id JOIN webhook_endpoints e ON e.id = d.endpoint_id
     WHERE (d.event_id, d.endpoint_id) IN (${pairsSql(1)})`,
    pairsJson(keys),
  );
}

/** One attempt as the consumer records it. */
export interface AttemptRecord {
  at: string;
  status: number | null;
  error: string | null;
  durationMs: number;
  body: string | null;
}

/** Records an attempt, unless the delivery is no longer pending (a redelivered message after success). */
export function insertAttemptStatement(d1: D1Database, deliveryId: number, a: AttemptRecord): Statement {
  return statement(
    d1,
    `INSERT INTO webhook_attempts (delivery_id, attempted_at, response_status, error, duration_ms, response_body)
     SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM webhook_deliveries WHERE id = ?1 AND status = 'pending')`,
    deliveryId,
    a.at,
    a.status,
    a.error?.slice(0, 500) ?? null,
    a.durationMs,
    a.body,
  );
}

/**
 * Counts an attempt on a pending delivery and moves it to `status`: `pending` while retries remain,
 * with no attempt before `nextAttemptAt` (its retry's time), else delivered or failed.
 */
export function settleDeliveryStatement(
  d1: D1Database,
  deliveryId: number,
  status: DeliveryView["status"],
  at: string,
  nextAttemptAt: string | null = null,
): Statement {
  return statement(
    d1,
    `UPDATE webhook_deliveries SET attempt_count = attempt_count + 1, last_attempt_at = ?3, status = ?2,
       delivered_at = CASE WHEN ?2 = 'delivered' THEN ?3 ELSE delivered_at END, updated_at = ?3,
       next_attempt_at = CASE WHEN ?2 = 'pending' THEN ?4 END
     WHERE id = ?1 AND status = 'pending'`,
    deliveryId,
    status,
    at,
    nextAttemptAt,
  );
}

/** Marks a pending delivery failed without an attempt (its endpoint is disabled or its URL now refused). */
export function abandonDeliveryStatement(d1: D1Database, deliveryId: number, at: string): Statement {
  return statement(
    d1,
    "UPDATE webhook_deliveries SET status = 'failed', updated_at = ?2 WHERE id = ?1 AND status = 'pending'",
    deliveryId,
    at,
  );
}

/** A success ends the endpoint's failure streak. */
export function endpointSucceededStatement(d1: D1Database, endpointId: number): Statement {
  return statement(
    d1,
    "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ?1 AND failing_since IS NOT NULL",
    endpointId,
  );
}

/**
 * A failure starts the endpoint's failure streak, or disables the endpoint when the streak began at
 * or before `disableBefore` (`WEBHOOK_DISABLE_AFTER_DAYS` ago).
 */
export function endpointFailedStatement(
  d1: D1Database,
  endpointId: number,
  at: string,
  disableBefore: string,
  reason: string,
): Statement {
  return statement(
    d1,
    `UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?2),
       disabled_reason = CASE WHEN active = 1 AND COALESCE(failing_since, ?2) <= ?3 THEN ?4 ELSE disabled_reason END,
       active = CASE WHEN COALESCE(failing_since, ?2) <= ?3 THEN 0 ELSE active END,
       updated_at = CASE WHEN active = 1 AND COALESCE(failing_since, ?2) <= ?3 THEN ?2 ELSE updated_at END
     WHERE id = ?1`,
    endpointId,
    at,
    disableBefore,
    reason,
  );
}

/** Disables an endpoint at once (it answered 410 Gone). */
export function disableEndpointStatement(d1: D1Database, endpointId: number, reason: string, at: string): Statement {
  return statement(
    d1,
    "UPDATE webhook_endpoints SET active = 0, disabled_reason = ?2, updated_at = ?3 WHERE id = ?1 AND active = 1",
    endpointId,
    reason,
    at,
  );
}

/** Marks events dispatched: the relay sent their queue messages. */
export function markDispatchedStatement(d1: D1Database, eventIds: readonly number[], at: string): Statement {
  return statement(
    d1,
    `UPDATE outbox_events SET dispatched_at = ?2, leased_until = NULL
     WHERE id IN (SELECT value FROM json_each(?1)) AND dispatched_at IS NULL`,
    JSON.stringify(eventIds),
    at,
  );
}

/**
 * The consumer's mark: events dispatched once each endpoint their request sent a message to (the
 * endpoints subscribed when the event was recorded, `endpoint_ids`, that still exist) has its
 * delivery row, i.e. all of the event's messages have arrived. A request sends them 100 to a
 * `sendBatch()`; when a later call fails, the messages of the first must not mark the event, or the
 * relay would never send the rest. An event left unmarked is relayed after its grace, to the same
 * endpoints, and the deliveries already made are not sent again (they are no longer pending).
 */
export function markDispatchedWhenAllArrivedStatement(
  d1: D1Database,
  eventIds: readonly number[],
  at: string,
): Statement {
  return statement(
    d1,
    `UPDATE outbox_events SET dispatched_at = ?2, leased_until = NULL
     WHERE id IN (SELECT value FROM json_each(?1)) AND dispatched_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM json_each(coalesce(outbox_events.endpoint_ids, '[]')) j
                       JOIN webhook_endpoints e ON e.id = j.value
                       WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d
                                         WHERE d.event_id = outbox_events.id AND d.endpoint_id = j.value))`,
    JSON.stringify(eventIds),
    at,
  );
}

/** The dead-letter consumer: these deliveries used up their retries. */
export function failDeliveriesStatement(d1: D1Database, keys: readonly DeliveryKey[], at: string): Statement {
  return statement(
    d1,
    `UPDATE webhook_deliveries SET status = 'failed', updated_at = ?2
     WHERE status = 'pending' AND (event_id, endpoint_id) IN (${pairsSql(1)})`,
    pairsJson(keys),
    at,
  );
}

/**
 * The relay's claim: up to `limit` events nobody dispatched (their request's dispatch failed, or
 * they were recorded outside a request), leased until `leaseUntil`. One conditional UPDATE, so two
 * relays running at once never claim the same event. An event recorded by a request is left to
 * that request's dispatch for `graceBefore` (its `created_at` must be older). It goes to the
 * endpoints subscribed when it was recorded (those subscribed now for events recorded before that
 * was stored).
 */
export function claimEventsStatement(
  d1: D1Database,
  now: string,
  graceBefore: string,
  leaseUntil: string,
  limit: number,
): Statement<RecordedEvent> {
  return statement(
    d1,
    `UPDATE outbox_events SET leased_until = ?3
     WHERE id IN (SELECT id FROM outbox_events
                  WHERE dispatched_at IS NULL AND (leased_until <= ?1 OR (leased_until IS NULL AND created_at <= ?2))
                  ORDER BY id LIMIT ?4)
     RETURNING id, event,
       coalesce(endpoint_ids, (SELECT json_group_array(s.id) FROM (${subscribedEndpointsSql("outbox_events.event")}) s)) AS endpoint_ids`,
    now,
    graceBefore,
    leaseUntil,
    limit,
  );
}
