import { runBatch, runOne, type Statement } from "../../db/statement";
import { isoAt } from "../../lib/clock";
import type { Deps } from "../../middleware/deps";
import {
  type AttemptRecord,
  abandonDeliveryStatement,
  claimDeliveriesStatement,
  createDeliveriesStatement,
  type DeliveryKey,
  disableEndpointStatement,
  endpointFailedStatement,
  endpointSucceededStatement,
  failDeliveriesStatement,
  insertAttemptStatement,
  markDispatchedWhenAllArrivedStatement,
  type OutgoingDelivery,
  outgoingDeliveriesStatement,
  settleDeliveryStatement,
} from "./delivery-repository";
import { openSecret, signature } from "./secrets";
import { refusedTarget } from "./target-guard";

/** A receiver has this long to answer (contract: a 2xx within 15 seconds). */
const SEND_TIMEOUT_MS = 15_000;
/**
 * How long a consumer holds the deliveries it sends (`next_attempt_at`): more than an attempt takes
 * (15 s), short enough that a delivery whose consumer died mid-send goes out again within minutes.
 */
export const DELIVERY_LEASE_SECONDS = 60;
/**
 * A failed delivery's next attempt is allowed this much before its message's retry is due, so that
 * the retry is never turned away by a clock a little ahead of the queue's.
 */
const RETRY_SLACK_SECONDS = 2;
/** The part of an answer's body that is read and kept. */
const RESPONSE_EXCERPT_BYTES = 1024;

const DAY_MS = 86_400_000;

/** The `webhook-id` of a delivery: the same on every attempt, so receivers can deduplicate. */
const webhookMessageId = (eventId: number) => `msg_${eventId}`;

function deliveryKeyOf(body: unknown): DeliveryKey | undefined {
  const b = body as Partial<DeliveryKey> | null;
  return Number.isSafeInteger(b?.event_id) && Number.isSafeInteger(b?.endpoint_id)
    ? { event_id: b?.event_id as number, endpoint_id: b?.endpoint_id as number }
    : undefined;
}

/** Reads at most `max` bytes of a body and lets the rest go. */
async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes.subarray(0, max));
}

/** The secrets that sign now: the current one, and the previous one during 24 hours after a rotation. */
async function signingSecrets(deps: Deps, d: OutgoingDelivery, nowMs: number): Promise<string[]> {
  const secrets = [await openSecret(deps.pepper, d.secret)];
  if (d.previous_secret && d.previous_secret_expires_at && d.previous_secret_expires_at > isoAt(nowMs)) {
    secrets.push(await openSecret(deps.pepper, d.previous_secret));
  }
  return secrets;
}

/** One attempt: a signed POST (Standard Webhooks headers), redirects refused, at most 15 s, 1 KiB of the answer kept. */
async function attempt(deps: Deps, d: OutgoingDelivery): Promise<AttemptRecord & { ok: boolean }> {
  const started = deps.clock.now();
  const id = webhookMessageId(d.event_id);
  const timestamp = Math.floor(started / 1000);
  const record = (status: number | null, error: string | null, body: string | null, ok = false) => ({
    at: isoAt(started),
    status,
    error,
    body,
    ok,
    durationMs: Math.max(0, deps.clock.now() - started),
  });
  try {
    const secrets = await signingSecrets(deps, d, started);
    const signatures = await Promise.all(secrets.map((s) => signature(s, id, timestamp, d.payload)));
    const res = await fetch(d.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "identity-training-api-webhooks/1",
        "webhook-id": id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signatures.join(" "),
      },
      body: d.payload,
      redirect: "manual",
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    const body = await readCapped(res, RESPONSE_EXCERPT_BYTES);
    if (res.status >= 300 && res.status < 400) return record(res.status, "redirect refused", body);
    return record(res.status, null, body, res.status >= 200 && res.status < 300);
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    return record(null, timedOut ? `no answer within ${SEND_TIMEOUT_MS / 1000} s` : String(err), null);
  }
}

/**
 * The `webhook-deliveries` queue consumer. One round trip creates the batch's deliveries, claims
 * those that are due with a lease, and reads them; each claimed one is sent (in parallel); one more
 * round trip records every attempt and outcome; then each message is acknowledged or retried on
 * `WEBHOOK_RETRY_SCHEDULE` (the queue's `max_retries` then dead-letters it). A delivery that is no
 * longer pending (a redelivered message after success) is acknowledged without sending; one that
 * another message is sending now, or whose retry is not due yet, is not sent: its message comes back
 * when it is due (Queues delivers at least once, so two messages may name one delivery). 410 Gone
 * disables the endpoint; failures for `WEBHOOK_DISABLE_AFTER_DAYS` too.
 */
export async function deliverWebhooks(deps: Deps, batch: MessageBatch<unknown>): Promise<void> {
  const { d1, config } = deps;
  const work: { message: Message<unknown>; key: DeliveryKey }[] = [];
  for (const message of batch.messages) {
    const key = deliveryKeyOf(message.body);
    if (key) work.push({ message, key });
    else {
      console.warn(JSON.stringify({ level: "warn", msg: "malformed webhook message", id: message.id }));
      message.ack();
    }
  }
  if (work.length === 0) return;
  const keys = work.map((w) => w.key);
  const readMs = deps.clock.now();
  const readAt = isoAt(readMs);
  const [, claimedRows, rows] = await runBatch(d1, [
    createDeliveriesStatement(d1, keys, readAt),
    claimDeliveriesStatement(d1, keys, readAt, isoAt(readMs + DELIVERY_LEASE_SECONDS * 1000)),
    outgoingDeliveriesStatement(d1, keys),
  ]);
  const byKey = new Map(rows.map((r) => [`${r.event_id}:${r.endpoint_id}`, r]));
  /** Claimed by this run; each goes to the first message that names it. */
  const claimed = new Set(claimedRows.map((r) => r.id));

  const statements: Statement[] = [
    markDispatchedWhenAllArrivedStatement(d1, [...new Set(keys.map((k) => k.event_id))], readAt),
  ];
  const settle: (() => void)[] = [];
  const { retrySchedule, disableAfterDays, allowPrivateTargets } = config.webhooks;
  await Promise.all(
    work.map(async ({ message, key }) => {
      const d = byKey.get(`${key.event_id}:${key.endpoint_id}`);
      // Deleted endpoint, or a delivery already delivered or failed (a redelivered message): nothing to send.
      if (d?.status !== "pending") return settle.push(() => message.ack());
      if (!claimed.delete(d.id)) {
        // Being sent by another message now (or by an earlier one of this batch), or its retry is not
        // due: this message comes back when it is.
        const dueMs = d.next_attempt_at === null ? readMs : Date.parse(d.next_attempt_at);
        const delaySeconds = Math.max(1, Math.ceil((dueMs - readMs) / 1000));
        return settle.push(() => message.retry({ delaySeconds }));
      }
      const at = isoAt(deps.clock.now());
      if (!d.active) {
        statements.push(abandonDeliveryStatement(d1, d.id, at));
        return settle.push(() => message.ack());
      }
      const refused = refusedTarget(d.url, allowPrivateTargets);
      if (refused) {
        // Refused now (the guard or WEBHOOK_ALLOW_PRIVATE_TARGETS changed since it was saved): every
        // later event would fail the same way, so the endpoint is disabled, as for a 410.
        const error = `target refused: ${refused}`;
        const record = { at, status: null, error, body: null, durationMs: 0 };
        statements.push(
          insertAttemptStatement(d1, d.id, record),
          settleDeliveryStatement(d1, d.id, "failed", at),
          disableEndpointStatement(d1, d.endpoint_id, `The ${error} at ${at}`, at),
        );
        return settle.push(() => message.ack());
      }
      const result = await attempt(deps, d);
      statements.push(insertAttemptStatement(d1, d.id, result));
      if (result.ok) {
        statements.push(
          settleDeliveryStatement(d1, d.id, "delivered", result.at),
          endpointSucceededStatement(d1, d.endpoint_id),
        );
        return settle.push(() => message.ack());
      }
      if (result.status === 410) {
        statements.push(
          settleDeliveryStatement(d1, d.id, "failed", result.at),
          disableEndpointStatement(d1, d.endpoint_id, `The endpoint answered 410 Gone at ${result.at}`, result.at),
        );
        return settle.push(() => message.ack());
      }
      const disableBefore = isoAt(Date.parse(result.at) - disableAfterDays * DAY_MS);
      const delay = retrySchedule[Math.min(message.attempts, retrySchedule.length) - 1] ?? 0;
      const retryAt = isoAt(Date.parse(result.at) + Math.max(0, delay - RETRY_SLACK_SECONDS) * 1000);
      statements.push(
        settleDeliveryStatement(d1, d.id, "pending", result.at, retryAt),
        endpointFailedStatement(
          d1,
          d.endpoint_id,
          result.at,
          disableBefore,
          `Every delivery failed for ${disableAfterDays} days (last at ${result.at})`,
        ),
      );
      return settle.push(() => message.retry({ delaySeconds: delay }));
    }),
  );
  await runBatch(d1, statements);
  for (const done of settle) done();
}

/** The `webhook-deliveries-dlq` consumer: a delivery that used up its retries is marked `failed`. */
export async function failWebhookDeliveries(deps: Deps, batch: MessageBatch<unknown>): Promise<void> {
  const keys = batch.messages.map((m) => deliveryKeyOf(m.body)).filter((k): k is DeliveryKey => k !== undefined);
  if (keys.length) await runOne(deps.d1, failDeliveriesStatement(deps.d1, keys, isoAt(deps.clock.now())));
  for (const message of batch.messages) message.ack();
}
