#!/usr/bin/env node
// Benchmark of report generation over a large platform: builds the Worker as `wrangler deploy` does,
// serves it with Miniflare (workerd, local D1), seeds 100,000 users, 100,000 registrations over 200
// trainings, 100,000 sign-ins and 20,000 module progress rows spread over 90 days (SQL recursive CTEs,
// straight into the local D1), then times `POST /api/v1/reports/generate` for a 7-day, a 30-day and a
// 90-day period, one request at a time. Run: `node bench/reports.mjs` (SEED_USERS=... to change the size).
import { cpus } from "node:os";
import { buildBundle, startWorker } from "./miniflare.mjs";

const N = Number(process.env.SEED_USERS ?? 100_000);
const RUNS = 10;

buildBundle();
const { mf, base, db } = await startWorker({ ENVIRONMENT: "bench" });

try {
  // Seed: times spread over the 90 days before END, deterministic.
  const END = "2026-11-23T00:00:00.000Z";
  const at = (expr) => `strftime('%Y-%m-%dT%H:%M:%fZ', '${END}', '-' || (${expr}) || ' seconds')`;
  const seq = (n) => `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n})`;
  const t0 = performance.now();
  await db.batch([
    db.prepare(
      `${seq(N)} INSERT INTO users (username, email, is_active, created_at, updated_at)
       SELECT 'seed' || i, 'seed' || i || '@bench.test', (i % 20) <> 0, ${at("(i * 7919) % 7776000")}, ${at("(i * 7919) % 7776000")} FROM s`,
    ),
    db.prepare(
      `${seq(200)} INSERT INTO trainings (title, category, level, status, max_participants)
       SELECT 'Training ' || i, 'TECHNICAL', 'BEGINNER', 'PUBLISHED', CASE WHEN i % 3 = 0 THEN NULL ELSE 1000 END FROM s`,
    ),
    db.prepare(`${seq(50)} INSERT INTO modules (title, clean_title) SELECT 'Module ' || i, 'module-' || i FROM s`),
  ]);
  const [{ results: firstUser }] = await db.batch([
    db.prepare("SELECT min(id) AS id FROM users WHERE username LIKE 'seed%'"),
  ]);
  const u0 = firstUser[0].id - 1;
  await db.batch([
    db.prepare(
      `${seq(N)} INSERT INTO registrations (user_id, training_id, status, registered_at, completion_date, updated_at)
       SELECT ${u0} + i, 1 + (i * 31) % 200,
         CASE i % 4 WHEN 0 THEN 'REGISTERED' WHEN 1 THEN 'ATTENDED' WHEN 2 THEN 'COMPLETED' ELSE 'CANCELLED' END,
         ${at("(i * 104729) % 7776000")},
         CASE WHEN i % 4 = 2 THEN ${at("max(0, (i * 104729) % 7776000 - 86400)")} END,
         ${at("(i * 104729) % 7776000")} FROM s`,
    ),
    db.prepare(
      `${seq(N)} INSERT INTO auth_events (user_id, event, created_at)
       SELECT ${u0} + 1 + (i * 13) % ${N}, CASE WHEN i % 5 = 0 THEN 'magic_link_login' ELSE 'login' END, ${at("(i * 6007) % 7776000")} FROM s`,
    ),
    db.prepare(
      `${seq(Math.floor(N / 5))} INSERT INTO module_progress (user_id, module_id, score, created_at, updated_at)
       SELECT ${u0} + i, 1 + i % 50, (i * 37) % 101, ${at("(i * 7907) % 7776000")}, ${at("(i * 3001) % 7776000")} FROM s`,
    ),
  ]);
  const seedSeconds = ((performance.now() - t0) / 1000).toFixed(1);

  const post = (path, body, token) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const login = await (
    await post("/api/v1/auth/login", { email: "admin@bench.test", password: "bench-admin-passphrase" })
  ).json();
  const token = login.access_token;

  const rows = [];
  for (const days of [7, 30, 90]) {
    const start = new Date(Date.parse(END) - days * 86_400_000).toISOString();
    const times = [];
    let figures;
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const res = await post("/api/v1/reports/generate", { period_start: start, period_end: END }, token);
      const json = await res.json();
      if (res.status !== 201) throw new Error(`generate: ${res.status} ${JSON.stringify(json)}`);
      times.push(performance.now() - t);
      figures = json.report.figures;
    }
    times.sort((a, b) => a - b);
    const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(1);
    rows.push(
      `| ${days} days | ${RUNS} | ${q(0.5)} | ${q(0.95)} | ${figures.new_users.current} | ${figures.active_users.current} | ${figures.registrations.current} |`,
    );
  }
  console.log(
    `Seeded ${N.toLocaleString("en-US")} users, ${N.toLocaleString("en-US")} registrations, ${N.toLocaleString("en-US")} sign-ins, ${(N / 5).toLocaleString("en-US")} module progress rows in ${seedSeconds} s; ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}.\n`,
  );
  console.log(
    "| POST /api/v1/reports/generate, period | n | p50 ms | p95 ms | new users | active users | registrations |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(r);
} finally {
  await mf.dispose();
}
