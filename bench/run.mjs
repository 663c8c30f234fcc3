#!/usr/bin/env node
// Benchmark: bundle size, per-request latency of login and authenticated reads, throughput, and
// workerd memory. Builds the Worker as wrangler would deploy it, serves the bundle with Miniflare
// (workerd, local D1/KV, no wrangler dev proxy) on 127.0.0.1 and loads it from this process with
// autocannon. Run: `npm run bench` (writes bench/results.md).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { gzipSync } from "node:zlib";
import autocannon from "autocannon";
import { buildBundle, root, startWorker } from "./miniflare.mjs";

// 1. Build the bundle exactly as `wrangler deploy` would.
buildBundle();
const bundle = readFileSync(`${root}dist/index.js`);
const bundleKiB = (bundle.length / 1024).toFixed(1);
const gzipKiB = (gzipSync(bundle, { level: 9 }).length / 1024).toFixed(1);

// 2. Serve it with Miniflare and apply the migrations.
let { mf, base } = await startWorker();

const post = (path, body, token) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

// 3. Sequential latency: each request alone, so the figure is the Worker's own time (CPU-bound for
// login: PBKDF2 at 100,000 iterations) plus local D1, without queueing.
async function sequential(name, n, fn) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fn(i);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${name}: HTTP ${res.status}`);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(2);
  return { name, n, p50: q(0.5), p95: q(0.95) };
}

const reg = await post("/api/v1/auth/register", {
  username: "benchuser",
  email: "bench@bench.test",
  password: "a bench passphrase",
});
const { access_token: token } = await reg.json();
const adminLogin = await (
  await post("/api/v1/auth/login", { email: "admin@bench.test", password: "bench-admin-passphrase" })
).json();

const latency = [
  await sequential("POST /api/v1/auth/login", 30, () =>
    post("/api/v1/auth/login", { username: "benchuser", password: "a bench passphrase" }),
  ),
  await sequential("GET /api/v1/auth/me", 200, () =>
    fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } }),
  ),
  await sequential("GET /api/v1/hello", 200, () => fetch(`${base}/api/v1/hello`)),
];

// 4. Throughput under concurrent load from this process.
async function load(title, path, headers = {}) {
  const r = await autocannon({ url: `${base}${path}`, connections: 32, duration: 10, headers });
  return {
    title,
    rssMiB: Math.round(rssOf() / 1024),
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}
const rssOf = () => {
  const pids = execFileSync("pgrep", ["-f", "workerd serve"], { encoding: "utf8" }).trim().split("\n");
  return pids.reduce((sum, pid) => {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/);
    return sum + (m ? Number(m[1]) : 0);
  }, 0);
};
const rssIdle = rssOf();
const throughput = [
  await load("GET /api/v1/hello", "/api/v1/hello"),
  await load("GET /api/v1/hello (again: does memory keep growing?)", "/api/v1/hello"),
  await load("GET /api/v1/auth/me (bearer)", "/api/v1/auth/me", { authorization: `Bearer ${token}` }),
  await load("GET /api/v1/users?limit=20 (admin)", "/api/v1/users?limit=20", {
    authorization: `Bearer ${adminLogin.access_token}`,
  }),
];
const rssLoaded = rssOf();
await mf.dispose();

// 5. Rate limits on versus off: the same worker started twice, limits on with quotas no load reaches,
// so that the figure is the limiter's own cost (one KV read per key and window, one write a second).
const HIGH = "1000000000";
const limitsOn = {
  RATE_LIMITS_ENABLED: "true",
  ...Object.fromEntries(
    ["AUTH", "USERS", "TRAININGS", "REGISTRATIONS", "USER_CREATE", "DEFAULT_IP"].map((g) => [
      `RATE_LIMIT_${g}_PER_MINUTE`,
      HIGH,
    ]),
  ),
  RATE_LIMIT_DEFAULT_USER_PER_HOUR: HIGH,
};
const rateLimitRuns = [];
for (const [label, bindings] of [
  ["off", {}],
  ["on", limitsOn],
]) {
  ({ mf, base } = await startWorker(bindings));
  const user = await (
    await post("/api/v1/auth/register", { username: "rluser", email: "rl@bench.test", password: "a bench passphrase" })
  ).json();
  rateLimitRuns.push(
    { ...(await load(`GET /api/v1/hello, limits ${label}`, "/api/v1/hello")) },
    {
      ...(await load(`GET /api/v1/auth/me, limits ${label}`, "/api/v1/auth/me", {
        authorization: `Bearer ${user.access_token}`,
      })),
    },
  );
  await mf.dispose();
}

const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
const lines = [
  `Measured ${new Date().toISOString().slice(0, 10)} at ${commit} with \`npm run bench\` on ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}, workerd via Miniflare, local D1/KV.`,
  "",
  `Bundle (\`wrangler deploy --dry-run\`): ${bundleKiB} KiB, **${gzipKiB} KiB gzipped**.`,
  "",
  "| request, one at a time | n | p50 ms | p95 ms |",
  "|---|---|---|---|",
  ...latency.map((l) => `| ${l.name} | ${l.n} | ${l.p50} | ${l.p95} |`),
  "",
  "| load: 32 connections, 10 s | req/s | p50 ms | p99 ms | non-2xx | errors | workerd RSS after, MiB |",
  "|---|---|---|---|---|---|---|",
  ...throughput.map((t) => `| ${t.title} | ${t.rps} | ${t.p50} | ${t.p99} | ${t.non2xx} | ${t.errors} | ${t.rssMiB} |`),
  "",
  `workerd resident memory: ${(rssIdle / 1024).toFixed(0)} MiB idle, ${(rssLoaded / 1024).toFixed(0)} MiB after the load.`,
  "",
  "| rate limits off / on (same build, fresh worker each, 32 connections, 10 s) | req/s | p50 ms | p99 ms | non-2xx |",
  "|---|---|---|---|---|",
  ...rateLimitRuns.map((t) => `| ${t.title} | ${t.rps} | ${t.p50} | ${t.p99} | ${t.non2xx} |`),
];
writeFileSync(`${root}bench/results.md`, `${lines.join("\n")}\n`);
console.log(lines.join("\n"));
