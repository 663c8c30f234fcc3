import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { REPORT_SCHEDULES } from "../src/modules/reports";
import wranglerToml from "../wrangler.toml?raw";
import { fixtureAdmin, userWithPermissions } from "./access-fixtures";
import { createUser, signedIn, type TestUser } from "./factories";
import { BASE, body, call, clientAt, env, expectError, runScheduled, send } from "./helpers";

const REPORTS = "/api/v1/reports";

const count = async (sql: string, ...params: unknown[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...params)
      .first<{ n: number }>()
  )?.n ?? 0;

const generate = async (token: string) => {
  const res = await send(
    "POST",
    `${REPORTS}/generate`,
    { period_start: "2020-01-01", period_end: "2020-01-08", name: "Test report" },
    token,
  );
  expect(res.status).toBe(201);
  return (await body(res)).report;
};

interface ReportEmail {
  id: number;
  subject: string;
  text: string;
  html: string;
  headers: string | null;
  message_key: string;
}

const reportEmailsOf = async (user: TestUser) =>
  (
    await env.DB.prepare(
      "SELECT id, subject, text, html, headers, message_key FROM emails WHERE user_id = ?1 AND kind = 'report' ORDER BY id",
    )
      .bind(user.id)
      .all<ReportEmail>()
  ).results;

/** The unsubscribe token of the newest report email to `user`, read from its `List-Unsubscribe` header. */
async function unsubscribeTokenOf(user: TestUser): Promise<string> {
  const emails = await reportEmailsOf(user);
  const headers = JSON.parse(emails.at(-1)?.headers ?? "{}");
  const token = /token=([^>]+)>$/.exec(headers["List-Unsubscribe"] ?? "")?.[1];
  if (!token) throw new Error(`no unsubscribe token for ${user.username}`);
  return decodeURIComponent(token);
}

const receivesEmail = async (user: TestUser) => count("SELECT receive_email AS n FROM users WHERE id = ?1", user.id);

describe("POST /reports/send", () => {
  it("emails each active user who receives email once, with one-click unsubscribe headers and link, and records the deliveries", async () => {
    const { token } = await fixtureAdmin();
    const report = await generate(token);
    const [a, b] = [await createUser(), await createUser()];
    const inactive = await createUser({ isActive: false });
    const optedOut = await createUser();
    await env.DB.prepare("UPDATE users SET receive_email = 0 WHERE id = ?1").bind(optedOut.id).run();
    const eligible = await count("SELECT count(*) AS n FROM users WHERE is_active = 1 AND receive_email = 1");

    const res = await send("POST", `${REPORTS}/send`, { report_id: report.id, subject: "Weekly figures" }, token);
    expect(res.status).toBe(202);
    expect(await body(res)).toMatchObject({ report_id: report.id, subject: "Weekly figures", recipients: eligible });

    for (const user of [a, b]) {
      const [email, ...more] = await reportEmailsOf(user);
      expect(more).toEqual([]);
      expect(email?.subject).toBe("Weekly figures");
      expect(email?.text).toContain(report.content);
      const headers = JSON.parse(email?.headers ?? "{}");
      expect(headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
      const link = /^<(.+)>$/.exec(headers["List-Unsubscribe"])?.[1] ?? "";
      expect(link.startsWith(`${BASE}/api/v1/unsubscribe?token=`)).toBe(true);
      expect(email?.text).toContain(link);
      expect(email?.html).toContain(link.replace(/&/g, "&#38;"));
    }
    expect(await reportEmailsOf(inactive)).toEqual([]);
    expect(await reportEmailsOf(optedOut)).toEqual([]);

    const detail = (await body(await send("GET", `${REPORTS}/${report.id}`, undefined, token))).report;
    expect(detail.delivered_total).toBe(eligible);
    expect(detail.delivered_to).toContainEqual({
      user_id: a.id,
      username: a.username,
      subject: "Weekly figures",
      status: "queued",
      sent_at: null,
    });
  });

  it("emails no one twice for the same report and subject, and everyone again under another subject", async () => {
    const { token } = await fixtureAdmin();
    const report = await generate(token);
    const user = await createUser();
    const first = await send("POST", `${REPORTS}/send`, { report_id: report.id, subject: "Once" }, token);
    expect((await body(first)).recipients).toBeGreaterThan(0);
    const again = await send("POST", `${REPORTS}/send`, { report_id: report.id, subject: "Once" }, token);
    expect(again.status).toBe(202);
    expect((await body(again)).recipients).toBe(0);
    expect((await reportEmailsOf(user)).map((e) => e.subject)).toEqual(["Once"]);
    await send("POST", `${REPORTS}/send`, { report_id: report.id, subject: "Twice" }, token);
    expect((await reportEmailsOf(user)).map((e) => e.subject)).toEqual(["Once", "Twice"]);
  });

  it("records a delivery as sent once the emails queue consumer has sent it", async () => {
    const { token } = await fixtureAdmin();
    const report = await generate(token);
    const user = await createUser();
    await send("POST", `${REPORTS}/send`, { report_id: report.id, subject: "Delivered" }, token);
    const [email] = await reportEmailsOf(user);
    const batch = createMessageBatch("emails", [
      { id: "r1", timestamp: new Date(), attempts: 1, body: { key: email?.message_key } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["r1"]);
    const detail = (await body(await send("GET", `${REPORTS}/${report.id}`, undefined, token))).report;
    const delivery = detail.delivered_to.find((d: { user_id: number }) => d.user_id === user.id);
    expect(delivery.status).toBe("sent");
    expect(Date.parse(delivery.sent_at)).not.toBeNaN();
  });

  it("hands the unsubscribe headers to the http and cloudflare transports", async () => {
    const { token } = await fixtureAdmin();
    const report = await generate(token);
    const user = await createUser();
    await send("POST", `${REPORTS}/send`, { report_id: report.id, subject: "Headers" }, token);
    const [email] = await reportEmailsOf(user);
    const headers = JSON.parse(email?.headers ?? "{}");
    const deliver = async (vars: Record<string, string>) => {
      await env.DB.prepare("UPDATE emails SET status = 'queued' WHERE id = ?1").bind(email?.id).run();
      const batch = createMessageBatch("emails", [
        { id: "h1", timestamp: new Date(), attempts: 1, body: { key: email?.message_key } },
      ]);
      const ctx = createExecutionContext();
      await worker.queue(batch, { ...env, ...vars } as typeof env, ctx);
      expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["h1"]);
      return env.DB.prepare("SELECT status, last_error FROM emails WHERE id = ?1").bind(email?.id).first();
    };
    expect(await deliver({ EMAIL_TRANSPORT: "http", EMAIL_HTTP_URL: "https://report-mail.test/send" })).toEqual({
      status: "sent",
      last_error: null,
    });
    const received = await (await fetch(`https://report-mail.test/__last?to=${encodeURIComponent(user.email)}`)).json();
    expect(received).toMatchObject({ subject: "Headers", headers });
    expect(headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    expect(await deliver({ EMAIL_TRANSPORT: "cloudflare", EMAIL_FROM: "no-reply@example.test" })).toEqual({
      status: "sent",
      last_error: null,
    });
  });

  it("answers 404 for a report that does not exist", async () => {
    const { token } = await fixtureAdmin();
    await expectError(
      await send("POST", `${REPORTS}/send`, { report_id: 999999, subject: "x" }, token),
      404,
      "REPORT_NOT_FOUND",
    );
  });

  it("refuses a subject of more than one line (it becomes a header), emailing no one", async () => {
    const { token } = await fixtureAdmin();
    for (const subject of ["Weekly\r\nBcc: someone@example.test", "Weekly\nfigures"]) {
      const res = await send("POST", `${REPORTS}/send`, { report_id: 1, subject }, token);
      const json = await expectError(res, 422, "VALIDATION_ERROR");
      expect(json.detail[0].loc).toEqual(["body", "subject"]);
    }
    const { results } = await env.DB.prepare("SELECT id FROM emails WHERE subject LIKE '%Bcc:%'").all();
    expect(results).toEqual([]);
  });

  it("refuses an employee, and a holder of reports:read alone", async () => {
    const { token: admin } = await fixtureAdmin();
    const report = await generate(admin);
    for (const { token } of [await signedIn("EMPLOYEE"), await userWithPermissions(["reports:read"])]) {
      await expectError(
        await send("POST", `${REPORTS}/send`, { report_id: report.id, subject: "x" }, token),
        403,
        "FORBIDDEN",
      );
    }
  });
});

describe("one-click unsubscribe", () => {
  async function sentTo(user: TestUser) {
    const { token } = await fixtureAdmin();
    const report = await generate(token);
    await send("POST", `${REPORTS}/send`, { report_id: report.id, subject: `For ${user.username}` }, token);
    return unsubscribeTokenOf(user);
  }
  const url = (token: string) => `/api/v1/unsubscribe?token=${encodeURIComponent(token)}`;
  const oneClick = (token: string) =>
    call(url(token), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });

  it("shows a page on GET without changing anything, and turns report emails off on the one-click POST", async () => {
    const user = await createUser();
    const token = await sentTo(user);
    const page = await call(url(token));
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain(`action="/api/v1/unsubscribe?token=${encodeURIComponent(token)}"`);
    expect(await receivesEmail(user)).toBe(1);

    const res = await oneClick(token);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Unsubscribed");
    expect(await receivesEmail(user)).toBe(0);
    expect((await oneClick(token)).status).toBe(200);
  });

  it("accepts the one-click POST as multipart/form-data too", async () => {
    const user = await createUser();
    const token = await sentTo(user);
    const form = new FormData();
    form.set("List-Unsubscribe", "One-Click");
    expect((await call(url(token), { method: "POST", body: form })).status).toBe(200);
    expect(await receivesEmail(user)).toBe(0);
  });

  it("refuses a forged token and another user's signature, changing nothing", async () => {
    const [victim, holder] = [await createUser(), await createUser()];
    const token = await sentTo(holder);
    const [, signature] = token.split(".");
    const flipped = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    for (const forged of [flipped, `${victim.id}.${signature}`, `${victim.id}.${"A".repeat(43)}`, "garbage"]) {
      const res = await oneClick(forged);
      expect(res.status, forged).toBe(400);
      expect(await res.text()).toContain("This unsubscribe link is not valid");
      expect((await call(url(forged))).status).toBe(400);
    }
    expect(await receivesEmail(victim)).toBe(1);
    expect(await receivesEmail(holder)).toBe(1);
  });

  it("is never emailed a report after unsubscribing", async () => {
    const user = await createUser();
    const token = await sentTo(user);
    await oneClick(token);
    const { token: admin } = await fixtureAdmin();
    const report = await generate(admin);
    await send("POST", `${REPORTS}/send`, { report_id: report.id, subject: "After" }, admin);
    expect((await reportEmailsOf(user)).map((e) => e.subject)).toEqual([`For ${user.username}`]);
  });
});

describe("GET /reports/{id}/html and /csv", () => {
  it("serves the report as a page with inline SVG charts and no external asset", async () => {
    const { token } = await fixtureAdmin();
    const report = await generate(token);
    const res = await send("GET", `${REPORTS}/${report.id}/html`, undefined, token);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/default-src 'none'; style-src 'nonce-[A-Za-z0-9_-]+'/);
    expect(csp).toContain("form-action 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html.match(/<svg /g)).toHaveLength(1);
    expect(html).toContain(`report ${report.id}, generated`);
    expect(html).toContain('aria-label="Registrations per day');
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(/);
  });

  it("serves the figures as CSV", async () => {
    const { token } = await fixtureAdmin();
    const report = await generate(token);
    const res = await send("GET", `${REPORTS}/${report.id}/csv`, undefined, token);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="report-${report.id}.csv"`);
    const lines = (await res.text()).split("\r\n");
    expect(lines[0]).toBe("section,metric,current,previous,change,change_percent");
    expect(lines).toContain(`users,new_users,0,0,0,`);
    expect(lines).toContain("registrations_per_day,2020-01-07,0,,,");
  });
});

describe("report crons", () => {
  const MONDAY_7 = Date.parse("2026-11-23T07:00:00Z");
  const TUESDAY_2 = Date.parse("2026-11-24T02:00:00Z");

  /**
   * A D1 binding on which a redo claims its run (the claim is a statement of its own) and then fails
   * its report work (every other batch fails).
   */
  function unavailableDbButClaims(): D1Database {
    return new Proxy(env.DB, {
      get(target, prop, receiver) {
        if (prop === "batch") {
          return async (statements: D1PreparedStatement[]) => {
            const sql = String((statements[0] as unknown as { statement?: string }).statement ?? "");
            if (statements.length === 1 && /scheduled_runs/.test(sql)) return target.batch(statements);
            throw new Error("D1_ERROR: simulated outage");
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  /** A D1 binding whose batches all fail (an outage). */
  function unavailableDb(): D1Database {
    return new Proxy(env.DB, {
      get(target, prop, receiver) {
        if (prop === "batch") return async () => Promise.reject(new Error("D1_ERROR: simulated outage"));
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  const runCron = (cron: string, scheduledTime: number, bindings: Partial<Env> = {}) =>
    runScheduled(cron, { scheduledTime, bindings });

  it("makes the daily report of the previous day once, however often the run for that time repeats", async () => {
    await runCron("0 2 * * *", TUESDAY_2);
    await runCron("0 2 * * *", TUESDAY_2);
    const rows = await env.DB.prepare(
      "SELECT id, name, source FROM reports WHERE period_start = '2026-11-23T00:00:00.000Z' AND period_end = '2026-11-24T00:00:00.000Z'",
    ).all<{ id: number; name: string; source: string }>();
    expect(rows.results).toEqual([{ id: rows.results[0]?.id, name: "Daily report 2026-11-23", source: "schedule" }]);
    expect(
      await count(
        "SELECT count(*) AS n FROM outbox_events WHERE event = 'report.generated' AND json_extract(payload, '$.data.report_id') = ?1",
        rows.results[0]?.id,
      ),
    ).toBe(1);
  });

  it("delivers the week's report on Monday once, however often the run for that time repeats", async () => {
    const user = await createUser();
    await runCron("0 7 * * 1", MONDAY_7);
    await runCron("0 7 * * 1", MONDAY_7);
    expect(
      await count(
        "SELECT count(*) AS n FROM reports WHERE source = 'schedule' AND period_start = '2026-11-16T00:00:00.000Z' AND period_end = '2026-11-23T00:00:00.000Z'",
      ),
    ).toBe(1);
    const emails = await reportEmailsOf(user);
    expect(emails.map((e) => e.subject)).toEqual(["Weekly report 2026-11-16 to 2026-11-22"]);
    expect(JSON.parse(emails[0]?.headers ?? "{}")["List-Unsubscribe"]).toContain(`${BASE}/api/v1/unsubscribe?token=`);
  });

  it("logs a failed run and does its work on the next run", async () => {
    const failing = unavailableDb();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const at = Date.parse("2026-11-25T02:00:00Z");
    await runCron("0 2 * * *", at, { DB: failing });
    expect(errors.mock.calls.map((c) => String(c[0]))).toContainEqual(
      expect.stringContaining('"msg":"scheduled run failed"'),
    );
    errors.mockRestore();
    const daily =
      "SELECT count(*) AS n FROM reports WHERE source = 'schedule' AND period_start = '2026-11-24T00:00:00.000Z'";
    expect(await count(daily)).toBe(0);
    await runCron("0 2 * * *", at);
    expect(await count(daily)).toBe(1);
  });

  it("redoes a failed run from the every-minute run, 20 minutes after its time, once at a time, and records it done", async () => {
    const at = Date.parse("2026-11-26T02:00:00Z");
    const daily =
      "SELECT count(*) AS n FROM reports WHERE source = 'schedule' AND period_start = '2026-11-25T00:00:00.000Z'";
    const recorded = () =>
      count(
        "SELECT count(*) AS n FROM scheduled_runs WHERE cron = '0 2 * * *' AND scheduled_for = ?1",
        new Date(at).toISOString(),
      );
    // A completed earlier run (the daily cron is deployed), then this one fails.
    await runCron("0 2 * * *", at - 86_400_000);
    const failing = unavailableDb();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    await runCron("0 2 * * *", at, { DB: failing });
    errors.mockRestore();
    expect(await count(daily)).toBe(0);
    expect(await recorded()).toBe(0);
    // Within 20 minutes of its time the run may still be going (an invocation lasts up to 15): left alone.
    await runCron("* * * * *", at + 19 * 60_000);
    expect(await count(daily)).toBe(0);
    // A redo holds it for 20 minutes: another every-minute run meanwhile leaves it (the first one failed).
    const redoErrors = vi.spyOn(console, "error").mockImplementation(() => {});
    await runCron("* * * * *", at + 21 * 60_000, { DB: unavailableDbButClaims() });
    await runCron("* * * * *", at + 22 * 60_000);
    redoErrors.mockRestore();
    expect(await count(daily)).toBe(0);
    // Once the claim has lapsed, the next redo completes it.
    await runCron("* * * * *", at + 42 * 60_000);
    expect(await count(daily)).toBe(1);
    expect(await recorded()).toBe(1);
    // Done: later minutes do nothing more.
    await runCron("* * * * *", at + 43 * 60_000);
    expect(await count(daily)).toBe(1);
  });

  it("knows the time of each report cron that wrangler.toml triggers (what the redo relies on)", () => {
    const crons = JSON.parse(/^crons\s*=\s*(\[.*\])$/m.exec(wranglerToml)?.[1] ?? "[]") as string[];
    expect(REPORT_SCHEDULES.map((s) => s.cron).sort()).toEqual(crons.filter((c) => c !== "* * * * *").sort());
    // Each schedule's latest time at or before a moment: 02:00 every day, 07:00 on Mondays (UTC).
    const at = (iso: string) => Date.parse(iso);
    const [daily, weekly] = REPORT_SCHEDULES;
    expect(new Date(daily?.latestAt(at("2026-11-26T01:59:00Z")) ?? 0).toISOString()).toBe("2026-11-25T02:00:00.000Z");
    expect(new Date(daily?.latestAt(at("2026-11-26T02:00:00Z")) ?? 0).toISOString()).toBe("2026-11-26T02:00:00.000Z");
    expect(new Date(weekly?.latestAt(at("2026-11-30T06:59:00Z")) ?? 0).toISOString()).toBe("2026-11-23T07:00:00.000Z");
    expect(new Date(weekly?.latestAt(at("2026-12-02T12:00:00Z")) ?? 0).toISOString()).toBe("2026-11-30T07:00:00.000Z");
  });

  it("does not redo a cron that never completed a run (a fresh deployment waits for its trigger)", async () => {
    await env.DB.prepare("DELETE FROM scheduled_runs WHERE cron = '0 7 * * 1'").run();
    const monday = Date.parse("2026-12-07T07:00:00Z");
    await runCron("* * * * *", monday + 60 * 60_000);
    expect(
      await count(
        "SELECT count(*) AS n FROM reports WHERE source = 'schedule' AND period_start = '2026-11-30T00:00:00.000Z'",
      ),
    ).toBe(0);
  });
});

// Last in the file: its 60 users would push later tests' recipients past the first chunk.
describe("POST /reports/send to many", () => {
  it("fans a large audience out through the emails queue, 50 recipients a batch", async () => {
    const { token } = await fixtureAdmin();
    const report = await generate(token);
    for (let i = 0; i < 60; i++) await createUser();
    const sent: unknown[] = [];
    const queue = {
      send: async (message: unknown) => void sent.push(message),
      sendBatch: async (messages: Iterable<{ body: unknown }>) => void sent.push(...[...messages].map((m) => m.body)),
    } as unknown as Queue;
    const client = clientAt({ now: () => Date.now() }, { EMAIL_QUEUE: queue });
    const eligible = await count("SELECT count(*) AS n FROM users WHERE is_active = 1 AND receive_email = 1");
    const res = await client.send("POST", `${REPORTS}/send`, { report_id: report.id, subject: "Fan-out" }, token);
    expect((await body(res)).recipients).toBe(eligible);
    const delivered = () => count("SELECT count(*) AS n FROM report_deliveries WHERE report_id = ?1", report.id);
    expect(await delivered()).toBe(50);
    const continuation = sent.find((m) => typeof m === "object" && m !== null && "report_send" in m);
    // The continuation goes on after the last user the first chunk reached (no rescan from the start).
    const reached = await count("SELECT max(user_id) AS n FROM report_deliveries WHERE report_id = ?1", report.id);
    expect(continuation).toEqual({
      report_send: { report_id: report.id, subject: "Fan-out", base: BASE, after_id: reached },
    });
    expect(sent.filter((m) => m !== continuation)).toHaveLength(50);

    const batch = createMessageBatch("emails", [{ id: "c1", timestamp: new Date(), attempts: 1, body: continuation }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["c1"]);
    expect(await delivered()).toBe(eligible);
    expect(await count("SELECT count(*) AS n FROM emails WHERE kind = 'report' AND subject = 'Fan-out'")).toBe(
      eligible,
    );
  });
});
