import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { DELIVERY_LEASE_SECONDS } from "../src/modules/webhooks/consumer";
import { fixtureAdmin } from "./access-fixtures";
import { body, clientAt, countingDb, env, expectError, manualClock, runScheduled, send } from "./helpers";
import {
  attemptRows,
  consume,
  createEndpoint,
  deliveryRow,
  receivedBy,
  receiverUrl,
  recordingQueue,
  storedEvent,
  WEBHOOKS,
} from "./webhook-helpers";

const { token: admin } = await fixtureAdmin();

const headersOf = (h: Record<string, string> | undefined) => ({
  "webhook-id": h?.["webhook-id"] ?? "",
  "webhook-timestamp": h?.["webhook-timestamp"] ?? "",
  "webhook-signature": h?.["webhook-signature"] ?? "",
});

describe("the webhook-deliveries consumer", () => {
  it("signs a delivery per Standard Webhooks, records the attempt and acks", async () => {
    const { url, tag } = receiverUrl("ok");
    const { webhook, secret } = await createEndpoint({ url });
    const eventId = await storedEvent();
    const { result, ids } = await consume([{ event_id: eventId, endpoint_id: webhook.id }]);
    expect(result.explicitAcks).toEqual(ids);
    const [got] = await receivedBy(tag, eventId);
    expect(got?.headers["content-type"]).toBe("application/json");
    expect(got?.headers["webhook-id"]).toBe(`msg_${eventId}`);
    const payload = new Webhook(secret).verify(got?.body ?? "", headersOf(got?.headers));
    expect(payload).toMatchObject({ event: "training.created", data: { training_id: 1 } });
    const delivery = await deliveryRow(eventId, webhook.id);
    expect(delivery).toMatchObject({ status: "delivered", attempt_count: 1 });
    expect(await attemptRows(delivery?.id ?? 0)).toMatchObject([
      { response_status: 200, error: null, response_body: "thanks" },
    ]);
    const dispatched = await env.DB.prepare("SELECT dispatched_at FROM outbox_events WHERE id = ?1")
      .bind(eventId)
      .first<{ dispatched_at: string | null }>();
    expect(dispatched?.dispatched_at).not.toBeNull();
  });

  it("acks a redelivered message of a delivered delivery without sending or recording again", async () => {
    const { url, tag } = receiverUrl("ok");
    const { webhook } = await createEndpoint({ url });
    const eventId = await storedEvent();
    const message = { event_id: eventId, endpoint_id: webhook.id };
    await consume([message]);
    const again = await consume([message], { attempts: 2 });
    expect(again.result.explicitAcks).toEqual(again.ids);
    expect(await receivedBy(tag, eventId)).toHaveLength(1);
    const delivery = await deliveryRow(eventId, webhook.id);
    expect(delivery).toMatchObject({ status: "delivered", attempt_count: 1 });
    expect(await attemptRows(delivery?.id ?? 0)).toHaveLength(1);
  });

  it("retries a failure on WEBHOOK_RETRY_SCHEDULE, keeping the same webhook-id and 1 KiB of the answer", async () => {
    const { url, tag } = receiverUrl("fail");
    const { webhook } = await createEndpoint({ url });
    const eventId = await storedEvent();
    const message = { event_id: eventId, endpoint_id: webhook.id };
    const clock = manualClock();
    const first = await consume([message], { clock });
    expect(first.result.retryMessages).toEqual([{ msgId: first.ids[0] }]);
    expect(first.delays).toEqual([5]);
    // Another message for it before the retry is due (a duplicate) is sent back, not sent.
    clock.advance(1);
    const early = await consume([message], { clock });
    expect(early.result.retryMessages).toEqual([{ msgId: early.ids[0] }]);
    expect(early.delays).toEqual([2]);
    expect(await receivedBy(tag, eventId)).toHaveLength(1);
    clock.advance(4);
    const second = await consume([message], { clock, attempts: 2 });
    expect(second.delays).toEqual([300]);
    clock.advance(300);
    const last = await consume([message], { clock, attempts: 9 });
    expect(last.delays).toEqual([36000]);
    clock.advance(36000);
    const custom = await consume([message], {
      clock,
      attempts: 2,
      bindings: { ...env, WEBHOOK_RETRY_SCHEDULE: "1,2,3" } as typeof env,
    });
    expect(custom.delays).toEqual([2]);
    expect(await receivedBy(tag, eventId)).toHaveLength(4);
    const delivery = await deliveryRow(eventId, webhook.id);
    expect(delivery).toMatchObject({ status: "pending", attempt_count: 4 });
    const attempts = await attemptRows(delivery?.id ?? 0);
    expect(attempts[0]).toMatchObject({ response_status: 500, error: null });
    expect(attempts[0]?.response_body).toBe("x".repeat(1024));
  });

  it("sends a delivery once when two messages for it run at the same moment, and retries the other within the lease", async () => {
    const { url, tag } = receiverUrl("ok");
    const { webhook } = await createEndpoint({ url });
    const eventId = await storedEvent();
    const message = { event_id: eventId, endpoint_id: webhook.id };
    const runs = await Promise.all([consume([message]), consume([message])]);
    expect(await receivedBy(tag, eventId)).toHaveLength(1);
    const retried = runs.filter((r) => r.result.retryMessages.length === 1);
    expect(runs.filter((r) => r.result.explicitAcks.length === 1)).toHaveLength(1);
    expect(retried).toHaveLength(1);
    expect(retried[0]?.delays[0]).toBeGreaterThan(0);
    expect(retried[0]?.delays[0]).toBeLessThanOrEqual(DELIVERY_LEASE_SECONDS);
    expect(await deliveryRow(eventId, webhook.id)).toMatchObject({ status: "delivered", attempt_count: 1 });
    // The retried message, back later, finds it delivered.
    const later = await consume([message], { attempts: 2 });
    expect(later.result.explicitAcks).toEqual(later.ids);
    expect(await receivedBy(tag, eventId)).toHaveLength(1);
  });

  it("sends a delivery named twice in one batch once, and takes over a lease whose consumer died", async () => {
    const { url, tag } = receiverUrl("ok");
    const { webhook } = await createEndpoint({ url });
    const twice = await storedEvent();
    const both = await consume([
      { event_id: twice, endpoint_id: webhook.id },
      { event_id: twice, endpoint_id: webhook.id },
    ]);
    expect(await receivedBy(tag, twice)).toHaveLength(1);
    expect([both.result.explicitAcks.length, both.result.retryMessages.length]).toEqual([1, 1]);

    const orphan = await storedEvent();
    const message = { event_id: orphan, endpoint_id: webhook.id };
    const clock = manualClock();
    // A consumer claimed it and died before sending: the row is leased, nothing was sent.
    await env.DB.prepare(
      `INSERT INTO webhook_deliveries (endpoint_id, event_id, event, created_at, updated_at, next_attempt_at)
       VALUES (?1, ?2, 'training.created', ?3, ?3, ?4)`,
    )
      .bind(webhook.id, orphan, new Date(clock.now()).toISOString(), new Date(clock.now() + 60_000).toISOString())
      .run();
    const waiting = await consume([message], { clock });
    expect(waiting.delays).toEqual([60]);
    expect(await receivedBy(tag, orphan)).toHaveLength(0);
    clock.advance(60);
    const takeover = await consume([message], { clock, attempts: 2 });
    expect(takeover.result.explicitAcks).toEqual(takeover.ids);
    expect(await receivedBy(tag, orphan)).toHaveLength(1);
    expect(await deliveryRow(orphan, webhook.id)).toMatchObject({ status: "delivered", attempt_count: 1 });
  });

  it("treats a redirect as a failure and does not follow it", async () => {
    const { url, tag } = receiverUrl("redirect");
    const { webhook } = await createEndpoint({ url });
    const eventId = await storedEvent();
    const { delays } = await consume([{ event_id: eventId, endpoint_id: webhook.id }]);
    expect(delays).toEqual([5]);
    expect((await receivedBy(tag, eventId)).map((r) => r.path)).toEqual([`/redirect/${tag}`]);
    const delivery = await deliveryRow(eventId, webhook.id);
    expect(await attemptRows(delivery?.id ?? 0)).toMatchObject([{ response_status: 302, error: "redirect refused" }]);
  });

  it("marks a dead-lettered delivery failed (webhook-deliveries-dlq)", async () => {
    const { url } = receiverUrl("fail");
    const { webhook } = await createEndpoint({ url });
    const eventId = await storedEvent();
    const message = { event_id: eventId, endpoint_id: webhook.id };
    await consume([message]);
    const dead = await consume([message], { queue: "webhook-deliveries-dlq" });
    expect(dead.result.explicitAcks).toEqual(dead.ids);
    expect(await deliveryRow(eventId, webhook.id)).toMatchObject({ status: "failed", attempt_count: 1 });
  });

  it("disables an endpoint that answers 410 Gone, fails the delivery and no longer sends to it", async () => {
    const { url, tag } = receiverUrl("gone");
    const { webhook } = await createEndpoint({ url });
    const eventId = await storedEvent();
    const { result, ids, delays } = await consume([{ event_id: eventId, endpoint_id: webhook.id }]);
    expect(result.explicitAcks).toEqual(ids);
    expect(delays).toEqual([]);
    expect(await deliveryRow(eventId, webhook.id)).toMatchObject({ status: "failed" });
    const got = (await body(await send("GET", `${WEBHOOKS}/${webhook.id}`, undefined, admin))).webhook;
    expect(got.active).toBe(false);
    expect(got.disabled_reason).toContain("410 Gone");
    const next = await storedEvent();
    await consume([{ event_id: next, endpoint_id: webhook.id }]);
    expect(await receivedBy(tag, eventId)).toHaveLength(1);
    expect(await receivedBy(tag, next)).toEqual([]);
    expect(await deliveryRow(next, webhook.id)).toMatchObject({ status: "failed", attempt_count: 0 });
  });

  it("disables an endpoint whose deliveries have failed for WEBHOOK_DISABLE_AFTER_DAYS, and a success ends a streak", async () => {
    const clock = manualClock();
    const { url } = receiverUrl("fail");
    const { webhook } = await createEndpoint({ url });
    await consume([{ event_id: await storedEvent(), endpoint_id: webhook.id }], { clock });
    clock.advance(4 * 86_400);
    await consume([{ event_id: await storedEvent(), endpoint_id: webhook.id }], { clock, attempts: 3 });
    expect((await body(await send("GET", `${WEBHOOKS}/${webhook.id}`, undefined, admin))).webhook.active).toBe(true);
    clock.advance(86_400);
    await consume([{ event_id: await storedEvent(), endpoint_id: webhook.id }], { clock, attempts: 5 });
    const got = (await body(await send("GET", `${WEBHOOKS}/${webhook.id}`, undefined, admin))).webhook;
    expect(got).toMatchObject({ active: false });
    expect(got.disabled_reason).toContain("failed for 5 days");

    const healthy = await createEndpoint({ url: receiverUrl("ok").url });
    await env.DB.prepare("UPDATE webhook_endpoints SET failing_since = '2000-01-01T00:00:00.000Z' WHERE id = ?1")
      .bind(healthy.webhook.id)
      .run();
    await consume([{ event_id: await storedEvent(), endpoint_id: healthy.webhook.id }], { clock });
    const row = await env.DB.prepare("SELECT active, failing_since FROM webhook_endpoints WHERE id = ?1")
      .bind(healthy.webhook.id)
      .first();
    expect(row).toEqual({ active: 1, failing_since: null });
  });

  it("checks the target again before sending: a URL now refused fails the delivery without a request and disables the endpoint", async () => {
    const { url, tag } = receiverUrl("ok");
    const { webhook } = await createEndpoint({ url });
    await env.DB.prepare("UPDATE webhook_endpoints SET url = 'https://169.254.169.254/latest' WHERE id = ?1")
      .bind(webhook.id)
      .run();
    const eventId = await storedEvent();
    const { result, ids } = await consume([{ event_id: eventId, endpoint_id: webhook.id }]);
    expect(result.explicitAcks).toEqual(ids);
    expect(await receivedBy(tag, eventId)).toEqual([]);
    const delivery = await deliveryRow(eventId, webhook.id);
    expect(delivery).toMatchObject({ status: "failed" });
    expect((await attemptRows(delivery?.id ?? 0))[0]?.error).toContain("target refused");
    // Every later event would fail the same way: the endpoint is disabled, with the reason.
    const endpoint = await env.DB.prepare("SELECT active, disabled_reason FROM webhook_endpoints WHERE id = ?1")
      .bind(webhook.id)
      .first<{ active: number; disabled_reason: string }>();
    expect(endpoint?.active).toBe(0);
    expect(endpoint?.disabled_reason).toContain("target refused");
  });

  it("handles a batch of messages with two D1 round trips: one to read, one for every attempt record", async () => {
    const ok = await createEndpoint({ url: receiverUrl("ok").url });
    const fail = await createEndpoint({ url: receiverUrl("fail").url });
    const events = [await storedEvent(), await storedEvent(), await storedEvent()];
    const { db, counter } = countingDb(env.DB);
    const messages = events.flatMap((e) => [
      { event_id: e, endpoint_id: ok.webhook.id },
      { event_id: e, endpoint_id: fail.webhook.id },
    ]);
    const { result } = await consume(messages, { bindings: { ...env, DB: db } as typeof env });
    expect(counter.trips).toBe(2);
    expect(result.explicitAcks).toHaveLength(3);
    expect(result.retryMessages).toHaveLength(3);
  });
});

describe("secret rotation", () => {
  it("signs with both secrets for 24 hours after a rotation, then with the new one only", async () => {
    const clock = manualClock();
    const { url, tag } = receiverUrl("ok");
    const { webhook, secret: old } = await createEndpoint({ url });
    const rotated = await send("POST", `${WEBHOOKS}/${webhook.id}/rotate-secret`, undefined, admin);
    expect(rotated.status).toBe(200);
    const { secret: fresh } = await body(rotated);
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(old);

    const firstEvent = await storedEvent();
    await consume([{ event_id: firstEvent, endpoint_id: webhook.id }], { clock });
    const [during] = await receivedBy(tag, firstEvent);
    expect(during?.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    for (const s of [old, fresh])
      expect(new Webhook(s).verify(during?.body ?? "", headersOf(during?.headers))).toBeTruthy();

    clock.advance(24 * 3600 + 1);
    const secondEvent = await storedEvent();
    await consume([{ event_id: secondEvent, endpoint_id: webhook.id }], { clock });
    const [after] = await receivedBy(tag, secondEvent);
    const h = headersOf(after?.headers);
    // The clock is a day ahead of the verifier's tolerance window, so compare with the library's own signatures.
    const at = new Date(Number(h["webhook-timestamp"]) * 1000);
    expect(h["webhook-signature"]).toBe(new Webhook(fresh).sign(h["webhook-id"], at, after?.body ?? ""));
    expect(h["webhook-signature"]).not.toContain(
      new Webhook(old).sign(h["webhook-id"], at, after?.body ?? "").slice(3),
    );
  });

  it("answers 404 for an unknown endpoint", async () => {
    await expectError(
      await send("POST", `${WEBHOOKS}/99999999/rotate-secret`, undefined, admin),
      404,
      "WEBHOOK_NOT_FOUND",
    );
  });
});

describe("dispatch from the request and the relay cron", () => {
  it("enqueues one message per subscribed endpoint after the response, with no extra D1 round trip", async () => {
    const a = await createEndpoint({ url: receiverUrl("ok").url, events: ["training.created"] });
    const b = await createEndpoint({ url: receiverUrl("ok").url, events: ["training.created", "user.updated"] });
    const other = await createEndpoint({ url: receiverUrl("ok").url, events: ["user.updated"] });
    const off = await createEndpoint({ url: receiverUrl("ok").url, events: ["training.created"], active: false });
    const { sent, queue } = recordingQueue();
    // Warm this module instance (its admin bootstrap check runs once; under `npm run test:bundle`
    // the requests above went to the bundle's instance, not this one).
    await clientAt(manualClock()).send("GET", "/api/v1/hello");
    const { db, counter } = countingDb(env.DB);
    const client = clientAt(manualClock(), { WEBHOOK_QUEUE: queue, DB: db });
    const payload = { title: "Dispatch", category: "TECHNICAL", level: "BEGINNER" };
    const res = await client.send("POST", "/api/v1/trainings", payload, admin);
    expect(res.status).toBe(201);
    const tripsWithSubscribers = counter.trips;
    const eventId = (
      await env.DB.prepare("SELECT max(id) AS id FROM outbox_events WHERE event = 'training.created'").first<{
        id: number;
      }>()
    )?.id;
    const mine = sent.filter((m) => (m as { event_id: number }).event_id === eventId);
    const endpoints = (mine as { endpoint_id: number }[]).map((m) => m.endpoint_id);
    expect(endpoints).toEqual(expect.arrayContaining([a.webhook.id, b.webhook.id]));
    expect(endpoints).not.toContain(other.webhook.id);
    expect(endpoints).not.toContain(off.webhook.id);

    // Authentication, then the one batch that inserts the training and its event: dispatch adds none.
    expect(tripsWithSubscribers).toBe(2);
  });

  it("stores an event nobody subscribes to as dispatched", async () => {
    const user = (
      await body(
        await send(
          "POST",
          "/api/v1/users",
          { username: `u${Date.now()}`, email: `u${Date.now()}@example.test`, password: "Correct-Horse-Battery-9" },
          admin,
        ),
      )
    ).user;
    const { sent, queue } = recordingQueue();
    const client = clientAt(manualClock(), { WEBHOOK_QUEUE: queue });
    await env.DB.prepare("UPDATE webhook_endpoints SET active = 0 WHERE events LIKE '%user.deactivated%'").run();
    expect((await client.send("DELETE", `/api/v1/users/${user.id}`, undefined, admin)).status).toBe(200);
    const row = await env.DB.prepare(
      "SELECT dispatched_at FROM outbox_events WHERE event = 'user.deactivated' AND json_extract(payload, '$.data.user_id') = ?1",
    )
      .bind(user.id)
      .first<{ dispatched_at: string | null }>();
    expect(row?.dispatched_at).not.toBeNull();
    expect(sent).toEqual([]);
  });

  it("the relay enqueues an event its request did not dispatch exactly once, however often it runs", async () => {
    const { webhook } = await createEndpoint({ url: receiverUrl("ok").url, events: ["training.created"] });
    const old = new Date(Date.now() - 10 * 60_000).toISOString();
    const eventId = (
      await env.DB.prepare(
        "INSERT INTO outbox_events (event, payload, created_at) VALUES ('training.created', ?1, ?2) RETURNING id",
      )
        .bind(JSON.stringify({ event: "training.created", timestamp: old, data: { training_id: 7 } }), old)
        .first<{ id: number }>()
    )?.id;
    const recent = await storedEvent();
    const { sent, queue } = recordingQueue();
    for (let run = 0; run < 2; run++) await runScheduled("* * * * *", { bindings: { WEBHOOK_QUEUE: queue } });
    // One message per (event, endpoint) over both runs: every subscribed endpoint once, this one among them.
    const mine = (sent as { event_id: number; endpoint_id: number }[]).filter((m) => m.event_id === eventId);
    const endpoints = mine.map((m) => m.endpoint_id);
    expect(endpoints).toContain(webhook.id);
    expect(new Set(endpoints).size).toBe(endpoints.length);
    // An event still within its request's dispatch grace is left alone.
    expect(sent.filter((m) => (m as { event_id: number }).event_id === recent)).toEqual([]);
    const row = await env.DB.prepare("SELECT dispatched_at, leased_until FROM outbox_events WHERE id = ?1")
      .bind(eventId)
      .first();
    expect(row).toMatchObject({ leased_until: null });
    expect((row as { dispatched_at: string | null }).dispatched_at).not.toBeNull();
  });

  it("an event whose second sendBatch failed stays undispatched until the relay sends the rest, without resending", async () => {
    const first = receiverUrl("ok");
    const second = receiverUrl("ok");
    const { webhook: a } = await createEndpoint({ url: first.url, events: ["user.updated"] });
    const { webhook: b } = await createEndpoint({ url: second.url, events: ["user.updated"] });
    const eventId = await storedEvent("user.updated", { user_id: 1 });
    const dispatchedAt = async () =>
      (
        await env.DB.prepare("SELECT dispatched_at FROM outbox_events WHERE id = ?1")
          .bind(eventId)
          .first<{ dispatched_at: string | null }>()
      )?.dispatched_at;
    // Only the first chunk's message arrives: the event is not yet dispatched.
    await consume([{ event_id: eventId, endpoint_id: a.id }]);
    expect(await receivedBy(first.tag, eventId)).toHaveLength(1);
    expect(await dispatchedAt()).toBeNull();
    // After the request's grace, the relay sends the event again; only the missing delivery is made.
    await env.DB.prepare("UPDATE outbox_events SET created_at = ?2 WHERE id = ?1")
      .bind(eventId, new Date(Date.now() - 10 * 60_000).toISOString())
      .run();
    const { sent, queue } = recordingQueue();
    await runScheduled("* * * * *", { bindings: { WEBHOOK_QUEUE: queue } });
    // (Endpoints of earlier tests that subscribe to user.updated get it too.)
    const relayed = (sent as { event_id: number; endpoint_id: number }[]).filter(
      (m) => m.event_id === eventId && (m.endpoint_id === a.id || m.endpoint_id === b.id),
    );
    expect(relayed.map((m) => m.endpoint_id).sort()).toEqual([a.id, b.id].sort());
    await consume(relayed);
    expect(await receivedBy(first.tag, eventId)).toHaveLength(1);
    expect(await receivedBy(second.tag, eventId)).toHaveLength(1);
    expect(await dispatchedAt()).not.toBeNull();
  });

  it("an event whose messages arrive in separate batches is dispatched when the last one arrives", async () => {
    const { webhook: a } = await createEndpoint({ url: receiverUrl("ok").url, events: ["progress.updated"] });
    const { webhook: b } = await createEndpoint({ url: receiverUrl("ok").url, events: ["progress.updated"] });
    const eventId = await storedEvent("progress.updated", { user_id: 1 });
    const dispatched = async () =>
      (
        await env.DB.prepare("SELECT dispatched_at FROM outbox_events WHERE id = ?1")
          .bind(eventId)
          .first<{ dispatched_at: string | null }>()
      )?.dispatched_at ?? null;
    await consume([{ event_id: eventId, endpoint_id: a.id }]);
    expect(await dispatched()).toBeNull();
    await consume([{ event_id: eventId, endpoint_id: b.id }]);
    expect(await dispatched()).not.toBeNull();
  });

  it("an endpoint that subscribes after an event was recorded neither holds its dispatch nor gets it", async () => {
    const first = receiverUrl("ok");
    const late = receiverUrl("ok");
    const { webhook: a } = await createEndpoint({ url: first.url, events: ["registration.completed"] });
    const { webhook: b } = await createEndpoint({ url: late.url, events: ["training.deleted"] });
    const eventId = await storedEvent("registration.completed", { registration_id: 1 });
    expect((await send("PATCH", `${WEBHOOKS}/${b.id}`, { events: ["registration.completed"] }, admin)).status).toBe(
      200,
    );
    await consume([{ event_id: eventId, endpoint_id: a.id }]);
    const row = await env.DB.prepare("SELECT dispatched_at FROM outbox_events WHERE id = ?1")
      .bind(eventId)
      .first<{ dispatched_at: string | null }>();
    expect(row?.dispatched_at).not.toBeNull();
    expect(await receivedBy(late.tag, eventId)).toEqual([]);
  });

  it("the relay leaves a claimed event to its claim until the lease expires", async () => {
    await createEndpoint({ url: receiverUrl("ok").url, events: ["training.created"] });
    const old = new Date(Date.now() - 10 * 60_000).toISOString();
    const future = new Date(Date.now() + 60_000).toISOString();
    const eventId = (
      await env.DB.prepare(
        "INSERT INTO outbox_events (event, payload, created_at, leased_until) VALUES ('training.created', '{}', ?1, ?2) RETURNING id",
      )
        .bind(old, future)
        .first<{ id: number }>()
    )?.id;
    const { sent, queue } = recordingQueue();
    await runScheduled("* * * * *", { bindings: { WEBHOOK_QUEUE: queue } });
    expect(sent.filter((m) => (m as { event_id: number }).event_id === eventId)).toEqual([]);
  });
});

describe("deliveries: list, get, retry and the test event", () => {
  it("lists an endpoint's deliveries newest first, filtered by status, and shows one with its attempts", async () => {
    const { url } = receiverUrl("fail");
    const { webhook } = await createEndpoint({ url });
    const failing = await storedEvent();
    const clock = manualClock();
    await consume([{ event_id: failing, endpoint_id: webhook.id }], { clock });
    clock.advance(5);
    await consume([{ event_id: failing, endpoint_id: webhook.id }], { clock, attempts: 2 });
    const dead = await storedEvent();
    await consume([{ event_id: dead, endpoint_id: webhook.id }]);
    await consume([{ event_id: dead, endpoint_id: webhook.id }], { queue: "webhook-deliveries-dlq" });

    const list = await body(await send("GET", `${WEBHOOKS}/${webhook.id}/deliveries`, undefined, admin));
    expect(list).toMatchObject({ total: 2, skip: 0, limit: 100 });
    expect(list.deliveries.map((d: { status: string }) => d.status)).toEqual(["failed", "pending"]);
    expect(list.deliveries[1]).toMatchObject({ event: "training.created", attempt_count: 2 });
    expect(Object.keys(list.deliveries[1]).sort()).toEqual(
      ["attempt_count", "created_at", "event", "id", "last_attempt_at", "status"].sort(),
    );
    const failed = await body(
      await send("GET", `${WEBHOOKS}/${webhook.id}/deliveries?status=failed`, undefined, admin),
    );
    expect(failed.total).toBe(1);

    const pendingId = list.deliveries[1].id;
    const one = await body(await send("GET", `${WEBHOOKS}/${webhook.id}/deliveries/${pendingId}`, undefined, admin));
    expect(one.delivery).toMatchObject({
      id: pendingId,
      webhook_id: webhook.id,
      status: "pending",
      delivered_at: null,
    });
    expect(JSON.parse(one.delivery.payload)).toMatchObject({ event: "training.created" });
    expect(one.delivery.attempts).toHaveLength(2);
    expect(one.delivery.attempts[0]).toMatchObject({ response_status: 500, error: null });
    expect(one.delivery.attempts[0].response_body).toHaveLength(1024);

    await expectError(await send("GET", `${WEBHOOKS}/99999999/deliveries`, undefined, admin), 404, "WEBHOOK_NOT_FOUND");
    await expectError(
      await send("GET", `${WEBHOOKS}/${webhook.id}/deliveries/99999999`, undefined, admin),
      404,
      "DELIVERY_NOT_FOUND",
    );
  });

  it("sends a delivered delivery again by hand with the same webhook-id; a pending one or an inactive endpoint is 409", async () => {
    const { url, tag } = receiverUrl("ok");
    const { webhook } = await createEndpoint({ url });
    const eventId = await storedEvent();
    await consume([{ event_id: eventId, endpoint_id: webhook.id }]);
    const delivery = await deliveryRow(eventId, webhook.id);
    const { sent, queue } = recordingQueue();
    const client = clientAt(manualClock(), { WEBHOOK_QUEUE: queue });
    const path = `${WEBHOOKS}/${webhook.id}/deliveries/${delivery?.id}/retry`;
    const res = await client.send("POST", path, undefined, admin);
    expect(res.status).toBe(202);
    expect((await body(res)).delivery).toMatchObject({ id: delivery?.id, status: "pending" });
    expect(sent).toEqual([{ event_id: eventId, endpoint_id: webhook.id }]);
    await expectError(await client.send("POST", path, undefined, admin), 409, "DELIVERY_PENDING");
    const again = await consume(sent);
    expect(again.result.explicitAcks).toEqual(again.ids);
    expect(await receivedBy(tag, eventId)).toHaveLength(2);
    expect(await deliveryRow(eventId, webhook.id)).toMatchObject({ status: "delivered", attempt_count: 2 });
    // An inactive endpoint is sent nothing: 409, and the delivery stays as it was.
    await send("PATCH", `${WEBHOOKS}/${webhook.id}`, { active: false }, admin);
    await expectError(await client.send("POST", path, undefined, admin), 409, "WEBHOOK_INACTIVE");
    expect(await deliveryRow(eventId, webhook.id)).toMatchObject({ status: "delivered", attempt_count: 2 });
    expect(sent).toHaveLength(1);
  });

  it("sends a webhook.test event to one endpoint; an inactive endpoint is 409", async () => {
    const { url, tag } = receiverUrl("ok");
    const { webhook, secret } = await createEndpoint({ url });
    const { sent, queue } = recordingQueue();
    const client = clientAt(manualClock(), { WEBHOOK_QUEUE: queue });
    const res = await client.send("POST", `${WEBHOOKS}/${webhook.id}/test`, undefined, admin);
    expect(res.status).toBe(202);
    expect((await body(res)).delivery).toMatchObject({ event: "webhook.test", status: "pending", attempt_count: 0 });
    expect(sent).toHaveLength(1);
    await consume(sent);
    const eventId = (sent[0] as { event_id: number }).event_id;
    const [got] = await receivedBy(tag, eventId);
    expect(new Webhook(secret).verify(got?.body ?? "", headersOf(got?.headers))).toMatchObject({
      event: "webhook.test",
      data: { webhook_id: webhook.id },
    });
    await send("PATCH", `${WEBHOOKS}/${webhook.id}`, { active: false }, admin);
    await expectError(
      await client.send("POST", `${WEBHOOKS}/${webhook.id}/test`, undefined, admin),
      409,
      "WEBHOOK_INACTIVE",
    );
    await expectError(
      await client.send("POST", `${WEBHOOKS}/99999999/test`, undefined, admin),
      404,
      "WEBHOOK_NOT_FOUND",
    );
  });
});
