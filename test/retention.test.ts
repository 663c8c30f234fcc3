import { describe, expect, it } from "vitest";
import { PURGE_BATCH_ROWS } from "../src/modules/retention/retention-repository";
import { createUser } from "./factories";
import { env, runScheduled } from "./helpers";

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const ahead = (days: number) => new Date(Date.now() + days * DAY).toISOString();

/** Runs the Worker's `scheduled` handler as the daily cron trigger does. */
const runCron = () => runScheduled("0 2 * * *");

const count = async (sql: string, ...params: unknown[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...params)
      .first<{ n: number }>()
  )?.n;

describe("retention (cron)", () => {
  it("purges audit events past AUDIT_RETENTION_DAYS, and expired sessions and refresh tokens; a second run is harmless", async () => {
    const user = await createUser();
    const addEvent = (at: string, event: string) =>
      env.DB.prepare("INSERT INTO auth_events (user_id, event, created_at) VALUES (?1, ?2, ?3)")
        .bind(user.id, event, at)
        .run();
    await addEvent(ago(401), "ancient");
    await addEvent(ago(399), "recent");
    const addSession = async (id: string, expires: string, revoked: string | null, tokenExpires: string) => {
      await env.DB.prepare(
        "INSERT INTO sessions (id, user_id, expires_at, revoked_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
      )
        .bind(id, user.id, expires, revoked, ago(60))
        .run();
      await env.DB.prepare(
        "INSERT INTO refresh_tokens (id, session_id, expires_at, used_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
      )
        .bind(`${id}-rt`, id, tokenExpires, ago(40), ago(60))
        .run();
    };
    const sid = crypto.randomUUID();
    await addSession(`${sid}-expired`, ago(31), null, ago(31));
    await addSession(`${sid}-revoked`, ahead(5), ago(31), ago(31));
    await addSession(`${sid}-live`, ahead(5), null, ahead(5));
    await addSession(`${sid}-just-expired`, ago(2), null, ago(2));

    await runCron();

    const events = await env.DB.prepare("SELECT event FROM auth_events WHERE user_id = ?1 ORDER BY event")
      .bind(user.id)
      .all<{ event: string }>();
    expect(events.results.map((e) => e.event)).toEqual(["recent"]);
    const sessions = await env.DB.prepare("SELECT id FROM sessions WHERE user_id = ?1 ORDER BY id")
      .bind(user.id)
      .all<{ id: string }>();
    expect(sessions.results.map((s) => s.id)).toEqual([`${sid}-just-expired`, `${sid}-live`]);
    expect(await count("SELECT count(*) AS n FROM refresh_tokens WHERE session_id LIKE ?1", `${sid}%`)).toBe(2);

    await runCron();
    expect(await count("SELECT count(*) AS n FROM auth_events WHERE user_id = ?1", user.id)).toBe(1);
    expect(await count("SELECT count(*) AS n FROM sessions WHERE user_id = ?1", user.id)).toBe(2);
  });

  it("purges counters of failed password checks once their hour and their lock have passed", async () => {
    const now = Date.now();
    const add = (subject: string, windowStarted: number, lockedUntil: number) =>
      env.DB.prepare(
        `INSERT INTO login_attempts (kind, subject, source, failures, window_started_ms, locked_until_ms)
         VALUES ('login', ?1, '*', 3, ?2, ?3)`,
      )
        .bind(subject, windowStarted, lockedUntil)
        .run();
    await add("user:dead", now - 2 * 3_600_000, now - 60_000);
    await add("user:in-its-hour", now - 10 * 60_000, 0);
    await add("user:still-locked", now - 2 * 3_600_000, now + 10 * 60_000);
    await runCron();
    const left = await env.DB.prepare("SELECT subject FROM login_attempts ORDER BY subject").all<{ subject: string }>();
    expect(left.results.map((r) => r.subject)).toEqual(["user:in-its-hour", "user:still-locked"]);
  });

  it("purges webhook events dispatched more than EVENT_RETENTION_DAYS ago, with their deliveries and attempts, and old cron run records", async () => {
    const endpoint = await env.DB.prepare(
      "INSERT INTO webhook_endpoints (url, events, secret, created_at, updated_at) VALUES ('https://r.example/h', '[]', 'x', ?1, ?1) RETURNING id",
    )
      .bind(ago(200))
      .first<{ id: number }>();
    const addEvent = async (name: string, dispatched: string | null) => {
      const event = await env.DB.prepare(
        "INSERT INTO outbox_events (event, payload, created_at, dispatched_at) VALUES ('training.created', ?1, ?2, ?3) RETURNING id",
      )
        .bind(JSON.stringify({ name }), ago(120), dispatched)
        .first<{ id: number }>();
      const delivery = await env.DB.prepare(
        "INSERT INTO webhook_deliveries (endpoint_id, event_id, event, status, created_at, updated_at) VALUES (?1, ?2, 'training.created', 'delivered', ?3, ?3) RETURNING id",
      )
        .bind(endpoint?.id, event?.id, ago(119))
        .first<{ id: number }>();
      await env.DB.prepare(
        "INSERT INTO webhook_attempts (delivery_id, attempted_at, response_status, duration_ms) VALUES (?1, ?2, 200, 5)",
      )
        .bind(delivery?.id, ago(119))
        .run();
      return { event: event?.id, delivery: delivery?.id };
    };
    const [oldRun, recentRun] = [ago(91), ago(89)];
    await env.DB.prepare(
      "INSERT INTO scheduled_runs (cron, scheduled_for, completed_at) VALUES ('0 2 * * *', ?1, ?1), ('0 2 * * *', ?2, ?2)",
    )
      .bind(oldRun, recentRun)
      .run();
    const old = await addEvent("old", ago(91));
    const recent = await addEvent("recent", ago(89));
    const undispatched = await addEvent("undispatched", null);
    await runCron();
    const events = await env.DB.prepare("SELECT id FROM outbox_events WHERE id IN (?1, ?2, ?3) ORDER BY id")
      .bind(old.event, recent.event, undispatched.event)
      .all<{ id: number }>();
    expect(events.results.map((e) => e.id)).toEqual([recent.event, undispatched.event]);
    expect(await count("SELECT count(*) AS n FROM webhook_deliveries WHERE id = ?1", old.delivery)).toBe(0);
    expect(await count("SELECT count(*) AS n FROM webhook_attempts WHERE delivery_id = ?1", old.delivery)).toBe(0);
    expect(await count("SELECT count(*) AS n FROM webhook_attempts WHERE delivery_id = ?1", recent.delivery)).toBe(1);
    expect(await count("SELECT count(*) AS n FROM scheduled_runs WHERE scheduled_for = ?1", oldRun)).toBe(0);
    expect(await count("SELECT count(*) AS n FROM scheduled_runs WHERE scheduled_for = ?1", recentRun)).toBe(1);
  });

  it("deletes at most PURGE_BATCH_ROWS rows of a table per run, and the rest on the next runs", async () => {
    await env.DB.prepare("DELETE FROM auth_events WHERE event = 'backlog'").run();
    const extra = 7;
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       INSERT INTO auth_events (event, created_at) SELECT 'backlog', ?2 FROM n`,
    )
      .bind(PURGE_BATCH_ROWS + extra, ago(500))
      .run();
    const backlog = () => count("SELECT count(*) AS n FROM auth_events WHERE event = 'backlog'");
    await runCron();
    expect(await backlog()).toBe(extra);
    await runCron();
    expect(await backlog()).toBe(0);
  });
});
