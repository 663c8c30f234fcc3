import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { systemClock } from "../src/lib/clock";
import { depsOf } from "../src/middleware/deps";
import { queueEmail } from "../src/modules/email";
import { CLAIM_STALE_QUEUED_EMAILS_SQL } from "../src/modules/email/email-repository";
import { EMAIL_LEASE_SECONDS } from "../src/modules/email/email-service";
import { fixtureAdmin } from "./access-fixtures";
import { signedIn } from "./factories";
import { body, clientAt, env, expectError, runScheduled, send, unique } from "./helpers";

const PROVIDER = "https://email-provider.test";

/** Bindings with another email transport (config is read per env object). */
const withTransport = (vars: Record<string, string>) => ({ ...env, ...vars }) as typeof env;

/** Stores a queued email the way every flow does, and returns its message key and token. */
async function storedEmail(to = `${unique("to")}@example.test`) {
  const deps = depsOf(env, systemClock);
  const secret = unique("secret-token-");
  const mail = queueEmail(deps, {
    kind: "magic_link",
    to,
    user: null,
    name: "<b>Ada</b> & co",
    link: `https://api.example.test/api/v1/auth/magic-link?token=${secret}`,
    validMinutes: 15,
    secret,
  });
  await env.DB.batch(mail.statements);
  const row = await env.DB.prepare("SELECT message_key FROM emails WHERE to_address = ?1")
    .bind(to)
    .first<{ message_key: string }>();
  if (!row) throw new Error("email not stored");
  return { to, key: row.message_key, secret };
}

async function emailRow(to: string) {
  return env.DB.prepare(
    "SELECT status, attempts, last_error, text, html, secret, sent_at, lease_until FROM emails WHERE to_address = ?1",
  )
    .bind(to)
    .first<{
      status: string;
      attempts: number;
      lease_until: string | null;
      last_error: string | null;
      text: string;
      html: string;
      secret: string | null;
      sent_at: string | null;
    }>();
}

/**
 * Runs the Worker's queue handler on one message of `queue` and returns what it acked and retried,
 * with the delay of each retry (`getQueueResult` reports retries, not their delays, so `retry()` is
 * watched as well).
 */
async function consume(queue: string, key: string, opts: { attempts?: number; bindings?: typeof env } = {}) {
  const id = crypto.randomUUID();
  const batch = createMessageBatch(queue, [{ id, timestamp: new Date(), attempts: opts.attempts ?? 1, body: { key } }]);
  const message = batch.messages[0] as Message;
  const retry = vi.spyOn(message, "retry");
  const ctx = createExecutionContext();
  await worker.queue(batch, opts.bindings ?? env, ctx);
  const result = await getQueueResult(batch, ctx);
  const delays = retry.mock.calls.map(([o]) => o?.delaySeconds);
  return { id, result, delays };
}

const providerCount = async (to: string) =>
  ((await (await fetch(`${PROVIDER}/__sent?to=${encodeURIComponent(to)}`)).json()) as { count: number }).count;

describe("templates", () => {
  it("renders a text and an HTML part with the product's name, the link, and user input escaped in HTML", async () => {
    const { to, secret } = await storedEmail();
    const row = await emailRow(to);
    expect(row?.status).toBe("queued");
    expect(row?.text).toContain("Hello <b>Ada</b> & co,");
    expect(row?.text).toContain(`magic-link?token=${secret}`);
    expect(row?.html).toContain("Hello &#60;b&#62;Ada&#60;/b&#62; &#38; co,");
    expect(row?.html).not.toContain("<b>Ada</b>");
    expect(row?.html).toContain(`href="https://api.example.test/api/v1/auth/magic-link?token=${secret}"`);
    expect(row?.html).toContain("Identity &#38; Training");
  });
});

describe("the emails queue consumer", () => {
  it("with the record transport marks the email sent, keeps its body, and acks", async () => {
    const { to, key, secret } = await storedEmail();
    const { id, result } = await consume("emails", key);
    expect(result.explicitAcks).toEqual([id]);
    expect(result.retryMessages).toEqual([]);
    const row = await emailRow(to);
    expect(row).toMatchObject({ status: "sent", attempts: 1, last_error: null, lease_until: null });
    expect(row?.text).toContain(secret);
  });

  it("sends an email once when two messages for it run at the same moment, and retries the other when the lease ends", async () => {
    const bindings = withTransport({ EMAIL_TRANSPORT: "http", EMAIL_HTTP_URL: `${PROVIDER}/ok` });
    const { to, key } = await storedEmail();
    const runs = await Promise.all([consume("emails", key, { bindings }), consume("emails", key, { bindings })]);
    expect(await providerCount(to)).toBe(1);
    const acked = runs.filter((r) => r.result.explicitAcks.includes(r.id));
    const retried = runs.filter((r) => r.result.retryMessages.some((m) => m.msgId === r.id));
    expect([acked.length, retried.length]).toEqual([1, 1]);
    const delay = retried[0]?.delays[0] ?? 0;
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(EMAIL_LEASE_SECONDS);
    expect(await emailRow(to)).toMatchObject({ status: "sent", attempts: 1, lease_until: null });
    // The retried message, when it comes back, finds the email sent.
    const later = await consume("emails", key, { bindings, attempts: 2 });
    expect(later.result.explicitAcks).toEqual([later.id]);
    expect(await providerCount(to)).toBe(1);
  });

  it("waits out another consumer's lease without sending, and takes over a lease that ran out", async () => {
    const bindings = withTransport({ EMAIL_TRANSPORT: "http", EMAIL_HTTP_URL: `${PROVIDER}/ok` });
    const { to, key } = await storedEmail();
    const setLease = (ms: number) =>
      env.DB.prepare("UPDATE emails SET lease_until = ?2 WHERE message_key = ?1")
        .bind(key, new Date(Date.now() + ms).toISOString())
        .run();
    await setLease(45_000);
    const waiting = await consume("emails", key, { bindings });
    expect(waiting.result.explicitAcks).toEqual([]);
    expect(waiting.result.retryMessages).toEqual([{ msgId: waiting.id }]);
    expect(waiting.delays[0]).toBeGreaterThanOrEqual(43);
    expect(waiting.delays[0]).toBeLessThanOrEqual(45);
    expect(await providerCount(to)).toBe(0);
    expect(await emailRow(to)).toMatchObject({ status: "queued", attempts: 0 });
    // That consumer died mid-send: once its lease is over, the next message sends the email.
    await setLease(-1_000);
    const takeover = await consume("emails", key, { bindings });
    expect(takeover.result.explicitAcks).toEqual([takeover.id]);
    expect(await providerCount(to)).toBe(1);
    expect(await emailRow(to)).toMatchObject({ status: "sent", attempts: 1, lease_until: null });
  });

  it("with the HTTP transport sends once, removes the token from the stored body, and acks a redelivery without sending", async () => {
    const bindings = withTransport({ EMAIL_TRANSPORT: "http", EMAIL_HTTP_URL: `${PROVIDER}/ok` });
    const { to, key, secret } = await storedEmail();
    const first = await consume("emails", key, { bindings });
    expect(first.result.explicitAcks).toEqual([first.id]);
    expect(await providerCount(to)).toBe(1);
    const row = await emailRow(to);
    expect(row).toMatchObject({ status: "sent", attempts: 1, secret: null });
    expect(row?.text).not.toContain(secret);
    expect(row?.html).not.toContain(secret);
    expect(row?.text).toContain("[link removed after sending]");

    const again = await consume("emails", key, { bindings, attempts: 2 });
    expect(again.result.explicitAcks).toEqual([again.id]);
    expect(await providerCount(to)).toBe(1);
    expect((await emailRow(to))?.attempts).toBe(1);
  });

  it("with the cloudflare transport sends through the send_email binding", async () => {
    const bindings = withTransport({ EMAIL_TRANSPORT: "cloudflare", EMAIL_FROM: "no-reply@example.test" });
    const { to, key, secret } = await storedEmail();
    const { id, result } = await consume("emails", key, { bindings });
    expect(result.explicitAcks).toEqual([id]);
    const row = await emailRow(to);
    expect(row).toMatchObject({ status: "sent", attempts: 1, last_error: null, secret: null });
    expect(row?.text).not.toContain(secret);
  });

  it("retries a provider failure (non-2xx) with growing delays and records the error", async () => {
    const bindings = withTransport({ EMAIL_TRANSPORT: "http", EMAIL_HTTP_URL: `${PROVIDER}/fail` });
    const { to, key } = await storedEmail();
    const first = await consume("emails", key, { bindings, attempts: 1 });
    expect(first.result.explicitAcks).toEqual([]);
    expect(first.result.retryMessages).toEqual([{ msgId: first.id }]);
    expect(first.delays).toEqual([30]);
    const third = await consume("emails", key, { bindings, attempts: 3 });
    expect(third.result.retryMessages).toEqual([{ msgId: third.id }]);
    expect(third.delays).toEqual([480]);
    // Each failure ends its lease, so that the retry (here the third attempt at once) can send.
    expect(await emailRow(to)).toMatchObject({
      status: "queued",
      attempts: 2,
      last_error: "provider answered 500: provider is down",
      lease_until: null,
    });
  });

  it("fails loudly on an unmocked outbound address (it never reaches the network) and retries", async () => {
    const bindings = withTransport({ EMAIL_TRANSPORT: "http", EMAIL_HTTP_URL: "https://unmocked.example/send" });
    const { to, key } = await storedEmail();
    const { id, result, delays } = await consume("emails", key, { bindings });
    expect(result.retryMessages).toEqual([{ msgId: id }]);
    expect(delays).toEqual([30]);
    expect((await emailRow(to))?.last_error).toContain("unmocked outbound request: POST https://unmocked.example/send");
  });

  it("retries with the HTTP transport when its URL or key is missing", async () => {
    const bindings = withTransport({ EMAIL_TRANSPORT: "http", EMAIL_HTTP_URL: "" });
    const { to, key } = await storedEmail();
    const { id, result, delays } = await consume("emails", key, { bindings });
    expect(result.retryMessages).toEqual([{ msgId: id }]);
    expect(delays).toEqual([30]);
    expect((await emailRow(to))?.last_error).toContain("EMAIL_HTTP_URL");
  });

  it("acks a malformed message without touching any email", async () => {
    const batch = createMessageBatch("emails", [{ id: "m1", timestamp: new Date(), attempts: 1, body: "nope" }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["m1"]);
  });
});

describe("the emails-dlq consumer", () => {
  it("marks an email whose retries are used up failed (and removes its token with a real transport)", async () => {
    const bindings = withTransport({ EMAIL_TRANSPORT: "http", EMAIL_HTTP_URL: `${PROVIDER}/fail` });
    const { to, key, secret } = await storedEmail();
    await consume("emails", key, { bindings });
    const { id, result } = await consume("emails-dlq", key, { bindings, attempts: 6 });
    expect(result.explicitAcks).toEqual([id]);
    const row = await emailRow(to);
    expect(row).toMatchObject({ status: "failed", attempts: 1, secret: null });
    expect(row?.text).not.toContain(secret);
  });

  it("logs a dead-lettered report send continuation (its remaining recipients went unsent), and acks it", async () => {
    const body = { report_send: { report_id: 7, subject: "Weekly figures", base: "https://api.example.test" } };
    const batch = createMessageBatch("emails-dlq", [{ id: "r1", timestamp: new Date(), attempts: 6, body }]);
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["r1"]);
    const line = logged.mock.calls.map((c) => String(c[0])).find((l) => l.includes("not emails"));
    logged.mockRestore();
    expect(line).toContain('"subject":"Weekly figures"');
  });

  it("leaves an email that was sent meanwhile as sent", async () => {
    const { to, key } = await storedEmail();
    await consume("emails", key);
    await consume("emails-dlq", key);
    expect((await emailRow(to))?.status).toBe("sent");
  });
});

describe("GET /admin/emails", () => {
  it("lists emails newest first, paginated, to holders of emails:read", async () => {
    const a = await storedEmail();
    const b = await storedEmail();
    const { token } = await fixtureAdmin();
    const res = await send("GET", "/api/v1/admin/emails?limit=2", undefined, token);
    expect(res.status).toBe(200);
    const json = await body(res);
    expect(json).toMatchObject({ skip: 0, limit: 2 });
    expect(json.total).toBeGreaterThanOrEqual(2);
    expect(json.emails.map((e: { to: string }) => e.to)).toEqual([b.to, a.to]);
    expect(json.emails[0]).toMatchObject({ kind: "magic_link", status: "queued", attempts: 0, sent_at: null });
    expect(json.emails[0].text).toContain(b.secret);
    expect(json.emails[0].html).toContain("<!doctype html>");
  });

  it("is refused to a user without emails:read", async () => {
    const { token } = await signedIn("KNOWLEDGE_MANAGER");
    await expectError(await send("GET", "/api/v1/admin/emails", undefined, token), 403, "FORBIDDEN");
  });
});

describe("the email relay (every-minute cron)", () => {
  it("reads the untouched emails through their partial index, not by scanning every email ever sent", async () => {
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${CLAIM_STALE_QUEUED_EMAILS_SQL}`)
      .bind("a", "b", 10)
      .all<{ detail: string }>();
    expect(plan.results.map((r) => r.detail)).toContain("SCAN emails USING INDEX emails_untouched_idx");
  });

  const failingQueue = {
    async send() {
      throw new Error("queue unavailable");
    },
    async sendBatch() {
      throw new Error("queue unavailable");
    },
  } as unknown as Queue;

  it("enqueues again, exactly once, an email whose queue message was lost, and leaves recent ones alone", async () => {
    const username = unique("relay");
    const email = `${username}@example.test`;
    const res = await clientAt(systemClock, { EMAIL_QUEUE: failingQueue }).send("POST", "/api/v1/auth/register", {
      username,
      email,
      password: "correct horse battery staple",
    });
    expect(res.status).toBe(201);
    const row = await env.DB.prepare("SELECT message_key, status, attempts FROM emails WHERE to_address = ?1")
      .bind(email)
      .first<{ message_key: string; status: string; attempts: number }>();
    expect(row).toMatchObject({ status: "queued", attempts: 0 });

    const sentBy = async () => {
      const sent: unknown[] = [];
      const queue = {
        async sendBatch(messages: Iterable<{ body: unknown }>) {
          for (const m of messages) sent.push(m.body);
        },
      } as unknown as Queue;
      await runScheduled("* * * * *", { bindings: { EMAIL_QUEUE: queue } });
      return sent.filter((b) => (b as { key: string }).key === row?.message_key);
    };
    // Within its grace the request's own message may still be on its way: left alone.
    expect(await sentBy()).toEqual([]);
    await env.DB.prepare("UPDATE emails SET updated_at = ?2 WHERE message_key = ?1")
      .bind(row?.message_key, new Date(Date.now() - 3 * 60_000).toISOString())
      .run();
    expect(await sentBy()).toEqual([{ key: row?.message_key }]);
    // Claimed: the next runs leave it to its new message.
    expect(await sentBy()).toEqual([]);
  });
});
