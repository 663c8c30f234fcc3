import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { expect, vi } from "vitest";
import worker from "../src/index";
import type { Clock } from "../src/lib/clock";
import { depsOf } from "../src/middleware/deps";
import { deliverWebhooks } from "../src/modules/webhooks";
import { fixtureAdmin } from "./access-fixtures";
import { body, env, send, unique } from "./helpers";
import { RECEIVER, type ReceivedWebhook } from "./outbound/webhooks";

export const WEBHOOKS = "/api/v1/webhooks";

/** A queue binding that keeps what is sent to it, for tests that look at the messages. */
export function recordingQueue() {
  const sent: unknown[] = [];
  const queue = {
    async send(body: unknown) {
      sent.push(body);
    },
    async sendBatch(messages: Iterable<{ body: unknown }>) {
      for (const m of messages) sent.push(m.body);
    },
  } as unknown as Queue;
  return { sent, queue };
}

/** A receiver URL of the fake receiver (`ok`, `fail`, `gone`, `redirect`) with a fresh tag. */
export function receiverUrl(kind: "ok" | "fail" | "gone" | "redirect") {
  const tag = unique("t");
  return { url: `${RECEIVER}/${kind}/${tag}`, tag };
}

/**
 * What the fake receiver got under `tag` for the event `eventId` (endpoints created by tests also
 * get the events other tests cause, so each test reads only its own).
 */
export async function receivedBy(tag: string, eventId: number): Promise<ReceivedWebhook[]> {
  const all = (await (await fetch(`${RECEIVER}/__received/${tag}`)).json()) as ReceivedWebhook[];
  return all.filter((r) => r.headers["webhook-id"] === `msg_${eventId}`);
}

/** Creates an endpoint through the API as the fixture admin; returns it with its secret. */
// biome-ignore lint/suspicious/noExplicitAny: tests read the endpoint's fields loosely.
export async function createEndpoint(fields: Record<string, unknown>): Promise<{ webhook: any; secret: string }> {
  const { token } = await fixtureAdmin();
  const res = await send("POST", WEBHOOKS, { events: ["training.created"], ...fields }, token);
  expect(res.status).toBe(201);
  return body(res);
}

/** Stores an event in the outbox as a write would, and returns its id. */
export async function storedEvent(event = "training.created", data: Record<string, unknown> = { training_id: 1 }) {
  const at = new Date().toISOString();
  // With the endpoints subscribed now, as a request's outbox insert records them.
  const row = await env.DB.prepare(
    `INSERT INTO outbox_events (event, payload, created_at, endpoint_ids) VALUES (?1, ?2, ?3,
       (SELECT json_group_array(e.id) FROM webhook_endpoints e
         WHERE e.active = 1 AND EXISTS (SELECT 1 FROM json_each(e.events) WHERE json_each.value = ?1)))
     RETURNING id`,
  )
    .bind(event, JSON.stringify({ event, timestamp: at, data }), at)
    .first<{ id: number }>();
  if (!row) throw new Error("no event");
  return row.id;
}

/**
 * Runs the `webhook-deliveries` consumer on messages (through the Worker's queue handler, or with a
 * clock through the module's consumer) and returns what it acked and retried, with the delays.
 */
export async function consume(
  bodies: unknown[],
  opts: { attempts?: number; clock?: Clock; queue?: string; bindings?: typeof env } = {},
) {
  const queue = opts.queue ?? "webhook-deliveries";
  const batch = createMessageBatch(
    queue,
    bodies.map((b) => ({ id: crypto.randomUUID(), timestamp: new Date(), attempts: opts.attempts ?? 1, body: b })),
  );
  const retries = batch.messages.map((m) => vi.spyOn(m, "retry"));
  const ctx = createExecutionContext();
  if (opts.clock) await deliverWebhooks(depsOf(opts.bindings ?? env, opts.clock), batch);
  else await worker.queue(batch, opts.bindings ?? env, ctx);
  const result = await getQueueResult(batch, ctx);
  const delays = retries.flatMap((r) => r.mock.calls.map(([o]) => o?.delaySeconds));
  return { result, delays, ids: batch.messages.map((m) => m.id) };
}

/** The delivery of an event to an endpoint, as stored. */
export async function deliveryRow(eventId: number, endpointId: number) {
  return env.DB.prepare(
    "SELECT id, status, attempt_count, delivered_at FROM webhook_deliveries WHERE event_id = ?1 AND endpoint_id = ?2",
  )
    .bind(eventId, endpointId)
    .first<{ id: number; status: string; attempt_count: number; delivered_at: string | null }>();
}

/** The attempts of a delivery, oldest first. */
export async function attemptRows(deliveryId: number) {
  const { results } = await env.DB.prepare(
    "SELECT response_status, error, duration_ms, response_body FROM webhook_attempts WHERE delivery_id = ?1 ORDER BY id",
  )
    .bind(deliveryId)
    .all<{ response_status: number | null; error: string | null; duration_ms: number; response_body: string | null }>();
  return results;
}
