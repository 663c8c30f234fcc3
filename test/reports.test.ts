import { describe, expect, it } from "vitest";
import { fixtureAdmin, userWithPermissions } from "./access-fixtures";
import { signedIn } from "./factories";
import { body, env, expectError, send, unique } from "./helpers";

const REPORTS = "/api/v1/reports";

const run = (sql: string, ...params: unknown[]) =>
  env.DB.prepare(sql)
    .bind(...params)
    .first<{ id: number }>();

/** A user created at `at`, straight into D1. */
async function userCreatedAt(at: string): Promise<number> {
  const name = unique("rep");
  const row = await run(
    "INSERT INTO users (username, email, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) RETURNING id",
    name,
    `${name}@example.test`,
    at,
  );
  return row?.id ?? 0;
}

const signIn = (userId: number, at: string, event = "login") =>
  run("INSERT INTO auth_events (user_id, event, created_at) VALUES (?1, ?2, ?3)", userId, event, at);

async function training(title: string, maxParticipants: number | null): Promise<number> {
  const row = await run(
    "INSERT INTO trainings (title, category, level, status, max_participants) VALUES (?1, 'TECHNICAL', 'BEGINNER', 'PUBLISHED', ?2) RETURNING id",
    title,
    maxParticipants,
  );
  return row?.id ?? 0;
}

const register = (userId: number, trainingId: number, at: string, status = "REGISTERED", completedAt?: string) =>
  run(
    "INSERT INTO registrations (user_id, training_id, status, registered_at, completion_date) VALUES (?1, ?2, ?3, ?4, ?5)",
    userId,
    trainingId,
    status,
    at,
    completedAt ?? null,
  );

const generate = async (token: string, payload: Record<string, unknown>) => {
  const res = await send("POST", `${REPORTS}/generate`, payload, token);
  expect(res.status).toBe(201);
  return (await body(res)).report;
};

// The period under test and the one before it: 2020-03-08 .. 2020-03-15 and 2020-03-01 .. 2020-03-08,
// long before anything else this file's database holds.
const PERIOD = { period_start: "2020-03-08T00:00:00Z", period_end: "2020-03-15T00:00:00Z" };

describe("report figures", () => {
  it("counts new and active users, registrations by status, completions, top trainings and module progress against the previous period", async () => {
    const { token } = await fixtureAdmin();
    const [a, b, c] = [
      await userCreatedAt("2020-03-08T00:00:00.000Z"),
      await userCreatedAt("2020-03-10T12:00:00.000Z"),
      await userCreatedAt("2020-03-14T23:59:59.999Z"),
    ];
    const [d, e] = [await userCreatedAt("2020-03-02T09:00:00.000Z"), await userCreatedAt("2020-03-07T23:59:59.999Z")];
    await userCreatedAt("2020-03-15T00:00:00.000Z"); // the end is exclusive
    await userCreatedAt("2020-02-29T23:00:00.000Z"); // before both periods

    await signIn(a, "2020-03-09T08:00:00.000Z");
    await signIn(a, "2020-03-10T08:00:00.000Z", "magic_link_login");
    await signIn(b, "2020-03-11T08:00:00.000Z");
    await signIn(c, "2020-03-11T08:00:00.000Z", "login_failed");
    await signIn(d, "2020-03-03T08:00:00.000Z");

    const popular = await training(unique("Popular "), 10);
    const other = await training(unique("Other "), null);
    await register(a, popular, "2020-03-09T10:00:00.000Z", "COMPLETED", "2020-03-12T10:00:00.000Z");
    await register(b, popular, "2020-03-09T11:00:00.000Z");
    await register(c, popular, "2020-03-14T11:00:00.000Z", "CANCELLED");
    await register(a, other, "2020-03-10T11:00:00.000Z", "ATTENDED");
    await register(d, popular, "2020-03-02T11:00:00.000Z", "COMPLETED", "2020-03-05T11:00:00.000Z");

    const moduleId = (
      await run("INSERT INTO modules (title, clean_title, max_score) VALUES ('Phishing', 'phishing', 100) RETURNING id")
    )?.id;
    await run(
      "INSERT INTO module_progress (user_id, module_id, score, created_at, updated_at) VALUES (?1, ?2, 80, ?3, ?3)",
      a,
      moduleId,
      "2020-03-09T00:00:00.000Z",
    );
    await run(
      "INSERT INTO module_progress (user_id, module_id, score, created_at, updated_at) VALUES (?1, ?2, 50, ?3, ?3)",
      e,
      moduleId,
      "2020-03-07T00:00:00.000Z",
    );

    const report = await generate(token, PERIOD);
    const f = report.figures;
    expect(f.period).toEqual({ start: "2020-03-08T00:00:00.000Z", end: "2020-03-15T00:00:00.000Z" });
    expect(f.previous_period).toEqual({ start: "2020-03-01T00:00:00.000Z", end: "2020-03-08T00:00:00.000Z" });
    expect(f.totals.users).toBe(6);
    expect(f.new_users).toEqual({ current: 3, previous: 2, change: 1, change_percent: 50 });
    expect(f.active_users).toEqual({ current: 2, previous: 1, change: 1, change_percent: 100 });
    expect(f.registrations).toEqual({ current: 4, previous: 1, change: 3, change_percent: 300 });
    expect(f.registrations_by_status).toEqual({
      REGISTERED: { current: 1, previous: 0, change: 1, change_percent: null },
      ATTENDED: { current: 1, previous: 0, change: 1, change_percent: null },
      COMPLETED: { current: 1, previous: 1, change: 0, change_percent: 0 },
      CANCELLED: { current: 1, previous: 0, change: 1, change_percent: null },
    });
    expect(f.completions).toEqual({ current: 1, previous: 1, change: 0, change_percent: 0 });
    expect(f.registrations_per_day).toEqual([
      { date: "2020-03-08", registrations: 0 },
      { date: "2020-03-09", registrations: 2 },
      { date: "2020-03-10", registrations: 1 },
      { date: "2020-03-11", registrations: 0 },
      { date: "2020-03-12", registrations: 0 },
      { date: "2020-03-13", registrations: 0 },
      { date: "2020-03-14", registrations: 1 },
    ]);
    // Seats taken are the training's registrations not cancelled, whenever made (d's included).
    expect(f.top_trainings.map((t: { training_id: number }) => t.training_id)).toEqual([popular, other]);
    expect(f.top_trainings[0]).toMatchObject({ registrations: 3, seats_taken: 3, seats_offered: 10 });
    expect(f.top_trainings[1]).toMatchObject({ registrations: 1, seats_taken: 1, seats_offered: null });
    expect(f.module_progress).toMatchObject({
      enrollments: 2,
      average_score: 65,
      updated_in_period: 1,
      average_score_updated_in_period: 80,
    });
    expect(f.module_progress.modules).toEqual([
      { module_id: moduleId, title: "Phishing", enrollments: 2, average_score: 65, max_score: 100 },
    ]);
    expect(report.content).toContain("New users: 3 (previous period 2, +1 (+50%))");
    expect(report.source).toBe("on_demand");
  });

  it("reports an empty period as zeros, without a percent change where the previous figure is 0", async () => {
    const { token } = await fixtureAdmin();
    const report = await generate(token, { period_start: "2001-01-01", period_end: "2001-01-03" });
    const zero = { current: 0, previous: 0, change: 0, change_percent: null };
    expect(report.figures).toMatchObject({
      new_users: zero,
      active_users: zero,
      registrations: zero,
      completions: zero,
      registrations_per_day: [
        { date: "2001-01-01", registrations: 0 },
        { date: "2001-01-02", registrations: 0 },
      ],
      top_trainings: [],
      module_progress: { enrollments: 0, average_score: null, updated_in_period: 0, modules: [] },
    });
    expect(report.figures.totals.users).toBe(0);
    expect(report.name).toBe("Report 2001-01-01 to 2001-01-02");
  });
});

describe("POST /reports/generate, GET /reports, GET /reports/{id}", () => {
  it("generates the last 7 days by default, stores it and records report.generated in the outbox", async () => {
    const { token, user } = await fixtureAdmin();
    const report = await generate(token, { name: "Weekly figures" });
    expect(report).toMatchObject({ name: "Weekly figures", source: "on_demand", created_by: user.id });
    expect(Date.parse(report.period_end) - Date.parse(report.period_start)).toBe(7 * 86_400_000);
    const event = await env.DB.prepare(
      "SELECT payload FROM outbox_events WHERE event = 'report.generated' ORDER BY id DESC",
    ).first<{ payload: string }>();
    expect(JSON.parse(event?.payload ?? "{}").data).toMatchObject({ report_id: report.id, name: "Weekly figures" });
    const res = await send("GET", `${REPORTS}/${report.id}`, undefined, token);
    expect(res.status).toBe(200);
    expect((await body(res)).report).toMatchObject({ id: report.id, figures: report.figures, delivered_to: [] });
  });

  it("refuses a period that does not end after its start", async () => {
    const { token } = await fixtureAdmin();
    const res = await send(
      "POST",
      `${REPORTS}/generate`,
      { period_start: "2026-01-02", period_end: "2026-01-01" },
      token,
    );
    await expectError(res, 422, "VALIDATION_ERROR");
  });

  it("lists reports created between two dates and refuses an end date before the start date", async () => {
    const { token } = await fixtureAdmin();
    const report = await generate(token, PERIOD);
    const today = report.created_at.slice(0, 10);
    const listed = await body(await send("GET", `${REPORTS}?start_date=${today}&end_date=${today}`, undefined, token));
    expect(listed.reports.map((r: { id: number }) => r.id)).toContain(report.id);
    const before = await body(await send("GET", `${REPORTS}?end_date=2000-01-01`, undefined, token));
    expect(before).toMatchObject({ reports: [], total: 0 });
    await expectError(
      await send("GET", `${REPORTS}?start_date=2026-02-02&end_date=2026-02-01`, undefined, token),
      422,
      "VALIDATION_ERROR",
    );
    await expectError(await send("GET", `${REPORTS}?start_date=yesterday`, undefined, token), 422, "VALIDATION_ERROR");
  });

  it("answers 404 for a report that does not exist", async () => {
    const { token } = await fixtureAdmin();
    await expectError(await send("GET", `${REPORTS}/999999`, undefined, token), 404, "REPORT_NOT_FOUND");
  });
});

describe("report permissions", () => {
  it("lets an employee neither generate, read nor send reports", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const { token: admin } = await fixtureAdmin();
    const report = await generate(admin, PERIOD);
    await expectError(await send("POST", `${REPORTS}/generate`, {}, token), 403, "FORBIDDEN");
    await expectError(await send("GET", REPORTS, undefined, token), 403, "FORBIDDEN");
    await expectError(await send("GET", `${REPORTS}/${report.id}`, undefined, token), 403, "FORBIDDEN");
  });

  it("lets a holder of reports:read read but not generate", async () => {
    const { token } = await userWithPermissions(["reports:read"]);
    expect((await send("GET", REPORTS, undefined, token)).status).toBe(200);
    await expectError(await send("POST", `${REPORTS}/generate`, {}, token), 403, "FORBIDDEN");
  });
});
