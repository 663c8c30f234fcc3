#!/usr/bin/env node
// `npm run bench`: this API against a "ceiling" Worker and against better-auth, in one run, on this machine.
//
// 1. Builds the three the same way: the API as deployed (`scripts/build.mjs`, dist/worker/index.js),
//    the ceiling (bench/ceiling.js: bare Hono + jose doing the least each request needs) and
//    better-auth (bench/better-auth/worker.js, its own pinned dependencies, installed with
//    `npm ci --prefix bench/better-auth` on first use).
// 2. Serves each with Miniflare (workerd, local D1/KV) on 127.0.0.1. The data is created through the
//    API: trainings, users, a user with registrations; the ceiling gets a copy of the API's `users`
//    and `trainings` rows, so both read the same rows; better-auth gets 40 users through its own
//    sign-up endpoint.
// 3. Loads them one after another with `wrk -c32 -d8s` (`-c8` for the PBKDF2-bound register and
//    login), ceiling then API in pairs of runs for each request they both answer (after a warm-up
//    of each), and prints each figure with the API / ceiling ratio (the median of the pairs'
//    ratios); then better-auth then API for sign-in and the session read, with the
//    API / better-auth ratio. Refresh tokens are single-use, so refresh is driven from this process
//    instead: 32 chains, each presenting the token the previous response returned.
// 4. Sequential latency, workerd memory, and the cost of the rate limiter (limits on, quotas no
//    load reaches, against limits off).
// Writes bench/results.md and the README's figures. Needs `wrk` (Debian: `apt-get install wrk`). About 7 minutes.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { WORKER_BUNDLE_OPTIONS } from "../scripts/bundle-options.mjs";
import { call, cpuMicros, startWorker as startShared } from "./miniflare.mjs";

const root = new URL("..", import.meta.url).pathname;
const require = createRequire(import.meta.url);
const fromWrangler = createRequire(require.resolve("wrangler/package.json"));
// The esbuild that the project's wrangler uses (bench/miniflare.mjs starts its Miniflare).
const esbuild = fromWrangler("esbuild");
const DURATION = "8s";
const API = "/api/v1";
const tmp = mkdtempSync(join(tmpdir(), "bench-"));
const loadBefore = loadavg()[0];

try {
  execFileSync("wrk", ["--version"], { stdio: "ignore" });
} catch (err) {
  if (err.code === "ENOENT") {
    console.error("npm run bench needs wrk: `apt-get install wrk` (Debian/Ubuntu) or `brew install wrk`.");
    process.exit(1);
  }
}

// better-auth has its own package.json and lock in bench/better-auth, out of the root's.
const betterAuthDir = `${root}bench/better-auth`;
if (!existsSync(`${betterAuthDir}/node_modules`)) {
  console.log("Installing better-auth for the comparison: npm ci --prefix bench/better-auth");
  execFileSync("npm", ["ci", "--prefix", "bench/better-auth"], { cwd: root, stdio: "inherit" });
}
const betterAuthVersion = JSON.parse(
  readFileSync(`${betterAuthDir}/node_modules/better-auth/package.json`, "utf8"),
).version;

// 1. Build the Workers.
execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
const apiScript = `${root}dist/worker/index.js`;
const ceilingScript = `${root}dist/ceiling/index.js`;
await esbuild.build({
  entryPoints: [`${root}bench/ceiling.js`],
  outfile: ceilingScript,
  ...WORKER_BUNDLE_OPTIONS,
  minify: true,
});
const betterAuthScript = `${root}dist/better-auth/index.js`;
await esbuild.build({
  entryPoints: [`${betterAuthDir}/worker.js`],
  outfile: betterAuthScript,
  ...WORKER_BUNDLE_OPTIONS,
  minify: true,
});
const sizeOf = (path) => {
  const bytes = readFileSync(path);
  return { kib: (bytes.length / 1024).toFixed(1), gzKib: (gzipSync(bytes, { level: 9 }).length / 1024).toFixed(1) };
};
const size = { api: sizeOf(apiScript), ceiling: sizeOf(ceilingScript), betterAuth: sizeOf(betterAuthScript) };

// 2. Serve them.
const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const jwk = (key) => JSON.stringify({ ...key.export({ format: "jwk" }), kid: "bench", alg: "ES256" });

/**
 * Starts a Worker script in workerd with local D1/KV and the migrations applied (`options` as
 * bench/miniflare.mjs's startWorker takes them); with its workerd pids.
 */
const startWorker = (scriptPath, bindings = {}, options = {}) => startShared(bindings, { scriptPath, ...options });

const apiBindings = (extra = {}) => ({
  ENVIRONMENT: "bench",
  JWT_PRIVATE_KEY: jwk(privateKey),
  PASSWORD_PEPPER: randomBytes(32).toString("base64url"),
  MFA_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
  ADMIN_EMAIL: "admin@bench.test",
  ADMIN_PASSWORD: "bench-admin-passphrase",
  RATE_LIMITS_ENABLED: "false",
  ...extra,
});

const rssMiB = (pids) =>
  Math.round(
    pids.reduce((sum, pid) => {
      try {
        return sum + Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
      } catch {
        return sum;
      }
    }, 0) / 1024,
  );

const api = await startWorker(apiScript, apiBindings());

// The data, created through the API: 100 published trainings, 100 users (the first 40 sign in; all
// make 10,000 user/training pairs, more than the registration writes reach in 8 s, each pair
// registered once), a user registered for 3 trainings.
const PASSWORD = "a bench passphrase";
const admin = await call(api.base, "POST", `${API}/auth/login`, {
  email: "admin@bench.test",
  password: "bench-admin-passphrase",
});
const trainingIds = [];
for (let i = 0; i < 100; i++) {
  const { training } = await call(
    api.base,
    "POST",
    `${API}/trainings`,
    { title: `Bench training ${i}`, category: "SECURITY", level: "BEGINNER", status: "PUBLISHED" },
    admin.access_token,
  );
  trainingIds.push(training.id);
}
const register = (name) =>
  call(api.base, "POST", `${API}/auth/register`, { username: name, email: `${name}@bench.test`, password: PASSWORD });
const user = await register("benchuser");
const users = [];
for (let i = 0; i < 100; i += 4) {
  users.push(...(await Promise.all([0, 1, 2, 3].map((j) => register(`benchpool${i + j}`)))));
}
const userIds = users.map((u) => u.user.id);
for (const id of trainingIds.slice(0, 3)) {
  await call(api.base, "POST", `${API}/registrations`, { training_id: id }, user.access_token);
}

// The ceiling reads the same rows.
const ceiling = await startWorker(ceilingScript, { JWT_PUBLIC_KEY: jwk(publicKey) });
for (const table of ["users", "trainings"]) {
  const { results } = await api.db.prepare(`SELECT * FROM ${table}`).all();
  const columns = Object.keys(results[0]);
  const insert = `INSERT OR REPLACE INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((_, i) => `?${i + 1}`).join(", ")})`;
  await ceiling.db.batch(results.map((row) => ceiling.db.prepare(insert).bind(...columns.map((c) => row[c]))));
}

// better-auth, on a port chosen beforehand: its baseURL (which it trusts as an Origin) names it.
const betterAuthPort = await new Promise((resolve, reject) => {
  const server = createServer()
    .once("error", reject)
    .listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
});
const betterAuthOrigin = `http://127.0.0.1:${betterAuthPort}`;
const betterAuth = await startWorker(
  betterAuthScript,
  { BETTER_AUTH_URL: betterAuthOrigin, BETTER_AUTH_SECRET: randomBytes(32).toString("base64url") },
  { migrations: betterAuthDir, port: betterAuthPort },
);
/**
 * A POST to better-auth as a page of its own origin sends it: better-auth refuses a request that
 * carries cookies or Fetch Metadata (Node's fetch sends `sec-fetch-mode`) without a trusted Origin.
 */
async function betterAuthPost(path, body) {
  const res = await fetch(`${betterAuth.base}/api/auth${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: betterAuthOrigin },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`better-auth ${path}: HTTP ${res.status} ${await res.text()}`);
  return res;
}
for (let i = 0; i < 40; i += 4) {
  await Promise.all(
    [0, 1, 2, 3].map((j) =>
      betterAuthPost("/sign-up/email", {
        name: `bapool${i + j}`,
        email: `bapool${i + j}@bench.test`,
        password: PASSWORD,
      }),
    ),
  );
}
const betterAuthCookie = (
  await betterAuthPost("/sign-in/email", { email: "bapool0@bench.test", password: PASSWORD })
).headers
  .getSetCookie()
  .map((c) => c.split(";")[0])
  .join("; ");
// get-session answers 200 `null` for a missing or bad cookie, so wrk's non-2xx count would not see one.
const betterAuthSession = await (
  await fetch(`${betterAuth.base}/api/auth/get-session`, { headers: { cookie: betterAuthCookie } })
).json();
if (!betterAuthSession?.session) throw new Error("better-auth: get-session answered no session for the cookie");

// 3. Load.
/**
 * Runs wrk; `lua` (optional) is a script body for POSTs and per-request bodies. With `pids` (the
 * Worker's workerd), also the CPU time workerd spent per request (the Worker and its local D1):
 * less sensitive than req/s to other work on the machine, which takes turns on the cores.
 */
function wrk(base, path, { connections = 32, headers = {}, lua, duration = DURATION } = {}, pids = []) {
  const args = ["-t2", `-c${connections}`, `-d${duration}`, "--timeout", "10s", "--latency"];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  if (lua) {
    const file = join(tmp, `${randomBytes(4).toString("hex")}.lua`);
    writeFileSync(file, lua);
    args.push("-s", file);
  }
  const cpuBefore = cpuMicros(pids);
  const out = execFileSync("wrk", [...args, `${base}${path}`], { encoding: "utf8" });
  const requests = Number(out.match(/(\d+) requests in/)?.[1] ?? 0);
  const cpuUs = pids.length && requests ? Math.round((cpuMicros(pids) - cpuBefore) / requests) : undefined;
  const ms = (label) => {
    const m = out.match(new RegExp(`^\\s+${label}%\\s+([\\d.]+)(us|ms|s)`, "m"));
    if (!m) return undefined;
    const v = Number(m[1]);
    return Number((m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v).toFixed(1));
  };
  const errors = out.match(/Socket errors: (.*)/)?.[1] ?? "";
  const statuses = {};
  for (const [, status, count] of out.matchAll(/^status (\d+) (\d+)$/gm)) {
    statuses[status] = (statuses[status] ?? 0) + Number(count);
  }
  return {
    rps: Math.round(Number(out.match(/Requests\/sec:\s+([\d.]+)/)[1])),
    cpuUs,
    p50: ms("50"),
    p99: ms("99"),
    non2xx: Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0),
    statuses: Object.entries(statuses)
      .map(([status, count]) => `${count} × ${status}`)
      .join(", "),
    errors: errors ? errors.replace(/\s+/g, " ") : "0",
  };
}

/**
 * A wrk script sending POST `body` (a Lua expression of the thread's request counter `n` and the
 * thread's number `tid`), which prints the status of each response that is not 2xx, counted.
 */
const postScript = (body, token, extraHeaders = {}) => `
local threads, all = 0, {}
function setup(thread) threads = threads + 1; thread:set("tid", threads); table.insert(all, thread) end
local n = 0
local headers = { ["content-type"] = "application/json"${token ? `, ["authorization"] = "Bearer ${token}"` : ""}${Object.entries(
  extraHeaders,
)
  .map(([k, v]) => `, ["${k}"] = "${v}"`)
  .join("")} }
function request()
  n = n + 1
  return wrk.format("POST", nil, headers, ${body})
end
bad = {}
function response(status) if status > 299 then bad[status] = (bad[status] or 0) + 1 end end
function done()
  for _, t in ipairs(all) do for status, count in pairs(t:get("bad")) do io.write("status ", status, " ", count, "\\n") end end
end
`;

const bearer = (token) => ({ authorization: `Bearer ${token}` });
const rows = [];
/**
 * Runs compared with the ceiling: ceiling and API in turn, `ROUNDS` pairs, each figure the median of
 * its runs; the ratios are the median of the pairs' own ratios (a pair's two runs are next to each
 * other in time, so a slower spell of the machine, which these shared machines have often, moves
 * both alike).
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_DURATION = "5s";
const WARM_UP = "2s";
const median = (runs) => [...runs].sort((x, y) => x.rps - y.rps)[Math.floor(runs.length / 2)];
const middle = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const measure = (title, path, opts = {}, both = true) => {
  let c;
  let a;
  if (both) {
    const cs = [];
    const as = [];
    // Each warmed up first (its JIT, D1's statement cache), not counted.
    wrk(ceiling.base, path, { ...opts, duration: WARM_UP });
    wrk(api.base, path, { ...opts, duration: WARM_UP });
    for (let i = 0; i < ROUNDS; i++) {
      cs.push(wrk(ceiling.base, path, { ...opts, duration: ROUND_DURATION }, ceiling.pids));
      as.push(wrk(api.base, path, { ...opts, duration: ROUND_DURATION }, api.pids));
    }
    c = { ...median(cs), runs: cs.map((r) => r.rps) };
    a = { ...median(as), runs: as.map((r) => r.rps), cpuUs: middle(as.map((r) => r.cpuUs)) };
    c.cpuUs = middle(cs.map((r) => r.cpuUs));
    a.pairRatio = middle(as.map((r, i) => r.rps / cs[i].rps));
    a.pairCpuRatio = middle(as.map((r, i) => cs[i].cpuUs / r.cpuUs));
  } else {
    a = wrk(api.base, path, opts, api.pids);
  }
  rows.push({ title, connections: opts.connections ?? 32, ceiling: c, api: a });
  console.log(title, c ? `ceiling ${c.rps} req/s,` : "", `API ${a.rps} req/s`, a.non2xx ? `(${a.non2xx} non-2xx)` : "");
};

const rssIdle = rssMiB(api.pids);
measure("GET /hello", `${API}/hello`);
measure("GET /auth/me (ES256 verify + the current user)", `${API}/auth/me`, { headers: bearer(user.access_token) });
measure("GET /trainings?limit=20 (page + total)", `${API}/trainings?limit=20`, {
  headers: bearer(user.access_token),
});
measure(
  "GET /registrations?limit=20 (admin)",
  `${API}/registrations?limit=20`,
  { headers: bearer(admin.access_token) },
  false,
);
const tag = randomBytes(3).toString("hex");
const pairs = trainingIds.flatMap((t) => userIds.map((u) => `{training_id=${t},user_id=${u}}`));
measure(
  "POST /registrations (admin, a new user/training pair each)",
  `${API}/registrations`,
  {
    headers: {},
    lua: `local pairs_ = {${pairs.join(",")}}\n${postScript(
      `(function() local p = pairs_[((n - 1) * 2 + tid - 1) % #pairs_ + 1]; return '{"training_id":' .. p.training_id .. ',"user_id":' .. p.user_id .. '}' end)()`,
      admin.access_token,
    )}`,
  },
  false,
);
measure(
  "POST /auth/register (a new user each)",
  `${API}/auth/register`,
  {
    connections: 8,
    lua: postScript(
      `'{"username":"r${tag}' .. tid .. 'x' .. n .. '","email":"r${tag}' .. tid .. 'x' .. n .. '@bench.test","password":"${PASSWORD}"}'`,
    ),
  },
  false,
);
measure(
  "POST /auth/login (40 users in turn)",
  `${API}/auth/login`,
  {
    connections: 8,
    // Each of the 40 users in turn: one account's concurrent sign-ins are throttled (429).
    lua: postScript(`'{"username":"benchpool' .. ((n * 2 + tid) % 40) .. '","password":"${PASSWORD}"}'`),
  },
  false,
);

/**
 * Runs compared with better-auth: better-auth and API in turn, `ROUNDS` runs each, each figure the
 * median of its runs (as for the ceiling).
 */
const versus = [];
const compareWithBetterAuth = (title, connections, apiRequest, betterAuthRequest) => {
  const bs = [];
  const as = [];
  for (let i = 0; i < ROUNDS; i++) {
    bs.push(
      wrk(
        betterAuth.base,
        betterAuthRequest.path,
        { ...betterAuthRequest, connections, duration: ROUND_DURATION },
        betterAuth.pids,
      ),
    );
    as.push(wrk(api.base, apiRequest.path, { ...apiRequest, connections, duration: ROUND_DURATION }, api.pids));
  }
  const summary = (runs) => ({
    ...median(runs),
    runs: runs.map((r) => r.rps),
    cpuUs: middle(runs.map((r) => r.cpuUs)),
    // Every run's non-2xx, not only the median's.
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    statuses: runs
      .map((r) => r.statuses)
      .filter(Boolean)
      .join(", "),
  });
  const row = { title, connections, betterAuth: summary(bs), api: summary(as) };
  versus.push(row);
  console.log(
    title,
    `better-auth ${row.betterAuth.rps} req/s${row.betterAuth.non2xx ? ` (${row.betterAuth.non2xx} non-2xx)` : ""},`,
    `API ${row.api.rps} req/s${row.api.non2xx ? ` (${row.api.non2xx} non-2xx)` : ""}`,
  );
};
compareWithBetterAuth(
  "sign-in, 40 users in turn: API `POST /auth/login`, better-auth `POST /api/auth/sign-in/email`",
  8,
  {
    path: `${API}/auth/login`,
    lua: postScript(`'{"username":"benchpool' .. ((n * 2 + tid) % 40) .. '","password":"${PASSWORD}"}'`),
  },
  {
    path: "/api/auth/sign-in/email",
    lua: postScript(
      `'{"email":"bapool' .. ((n * 2 + tid) % 40) .. '@bench.test","password":"${PASSWORD}"}'`,
      undefined,
      { origin: betterAuthOrigin },
    ),
  },
);
compareWithBetterAuth(
  "the current session: API `GET /auth/me` (bearer token), better-auth `GET /api/auth/get-session` (cookie)",
  32,
  { path: `${API}/auth/me`, headers: bearer(user.access_token) },
  { path: "/api/auth/get-session", headers: { cookie: betterAuthCookie } },
);

/** Refresh: `chains` loops, each presenting the refresh token the previous response returned. */
async function refreshLoad(base, tokens, seconds) {
  const latencies = [];
  let failed = 0;
  let connectionErrors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    tokens.map(async (first) => {
      let token = first;
      while (performance.now() < end) {
        const t0 = performance.now();
        let res;
        try {
          res = await fetch(`${base}${API}/auth/refresh`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ refresh_token: token }),
          });
        } catch {
          // A pooled connection that workerd closed after the previous load (EPIPE): try again on a new one.
          connectionErrors += 1;
          continue;
        }
        const json = await res.json();
        latencies.push(performance.now() - t0);
        if (!res.ok) {
          failed += 1;
          break;
        }
        token = json.refresh_token;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const q = (p) => Number(latencies[Math.floor(p * (latencies.length - 1))].toFixed(1));
  return {
    rps: Math.round(latencies.length / seconds),
    p50: q(0.5),
    p99: q(0.99),
    non2xx: failed,
    errors: String(connectionErrors),
  };
}
const refresh = await refreshLoad(
  api.base,
  users.slice(0, 32).map((u) => u.refresh_token),
  8,
);
rows.push({ title: "POST /auth/refresh (32 chains from Node, not wrk)", connections: 32, api: refresh });
console.log("POST /auth/refresh", refresh.rps, "req/s");
const rssLoaded = rssMiB(api.pids);

// 4. Sequential latency: each request alone (the Worker's own time plus local D1, no queueing).
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
const post = (path, body) =>
  fetch(`${api.base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const latency = [
  await sequential("POST /auth/login", 20, () =>
    post(`${API}/auth/login`, { username: "benchuser", password: PASSWORD }),
  ),
  await sequential("GET /auth/me", 100, () =>
    fetch(`${api.base}${API}/auth/me`, { headers: bearer(user.access_token) }),
  ),
  await sequential("GET /hello", 100, () => fetch(`${api.base}${API}/hello`)),
  await sequential("better-auth POST /api/auth/sign-in/email", 20, () =>
    fetch(`${betterAuth.base}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: betterAuthOrigin },
      body: JSON.stringify({ email: "bapool0@bench.test", password: PASSWORD }),
    }),
  ),
  await sequential("better-auth GET /api/auth/get-session", 100, () =>
    fetch(`${betterAuth.base}/api/auth/get-session`, { headers: { cookie: betterAuthCookie } }),
  ),
];
await betterAuth.mf.dispose();
await ceiling.mf.dispose();
await api.mf.dispose();

// 5. Rate limits on versus off: the API started afresh twice, limits on with quotas no load reaches,
// so that the difference is the limiter's own cost.
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
for (const [label, extra] of [
  ["off", {}],
  ["on", limitsOn],
]) {
  const w = await startWorker(apiScript, apiBindings(extra));
  const u = await call(w.base, "POST", `${API}/auth/register`, {
    username: "rluser",
    email: "rl@bench.test",
    password: PASSWORD,
  });
  rateLimitRuns.push({ title: `GET /hello, limits ${label}`, ...wrk(w.base, `${API}/hello`) });
  rateLimitRuns.push({
    title: `GET /auth/me, limits ${label}`,
    ...wrk(w.base, `${API}/auth/me`, { headers: bearer(u.access_token) }),
  });
  await w.mf.dispose();
}
rmSync(tmp, { recursive: true, force: true });

// Report.
const ratio = (r) => (r.ceiling ? r.api.pairRatio.toFixed(2) : "–");
const cpuRatio = (r) => (r.ceiling && r.api.pairCpuRatio ? r.api.pairCpuRatio.toFixed(2) : "–");
const cpu = (m) => (m?.cpuUs ? m.cpuUs.toLocaleString("en") : "–");
const runs = (m) => (m?.runs ? ` (${m.runs.map((x) => x.toLocaleString("en")).join(", ")})` : "");
const fig = (m) => (m ? `${m.rps.toLocaleString("en")}` : "–");
const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
const lines = [
  `Measured ${new Date().toISOString().slice(0, 10)} at ${commit} with \`npm run bench\` on ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}, workerd via Miniflare (local D1/KV) on 127.0.0.1, load from \`wrk -t2 -d${DURATION}\` on the same machine; load average ${loadBefore.toFixed(1)} before the run, ${loadavg()[0].toFixed(1)} after it (other work on the machine lowers every figure; the ratios less so).`,
  "",
  `Rows with a ceiling figure: ceiling and API each warmed up for ${WARM_UP}, then loaded in turn, ${ROUNDS} pairs of runs of ${ROUND_DURATION} each, the median run shown (every run in brackets). "API / ceiling" and "ceiling/API CPU" are the median of the ${ROUNDS} pairs' own ratios: the two runs of a pair are next to each other in time, so a slower spell of the machine moves both. CPU µs/req: the CPU time workerd (the Worker and its local D1) spent per request; "ceiling/API CPU" compares the work per request, which other load on the machine disturbs less than it disturbs req/s.`,
  "",
  "| request | connections | ceiling req/s | API req/s | API / ceiling | ceiling CPU µs/req | API CPU µs/req | ceiling/API CPU | API p50 ms | API p99 ms | API non-2xx |",
  "|---|---|---|---|---|---|---|---|---|---|---|",
  ...rows.map(
    (r) =>
      `| \`${r.title}\` | ${r.connections} | ${fig(r.ceiling)}${runs(r.ceiling)} | ${fig(r.api)}${runs(r.api)} | ${ratio(r)} | ${cpu(r.ceiling)} | ${cpu(r.api)} | ${cpuRatio(r)} | ${r.api.p50} | ${r.api.p99} | ${r.api.non2xx}${r.api.statuses ? ` (${r.api.statuses})` : ""} |`,
  ),
  `| bundle, gzipped (raw) | | ${size.ceiling.gzKib} KiB (${size.ceiling.kib}) | ${size.api.gzKib} KiB (${size.api.kib}) | – | | | | | | |`,
  "",
  `Against better-auth ${betterAuthVersion} (\`bench/better-auth/worker.js\`: email and password on D1 with better-auth's defaults, scrypt N=16384 r=16 p=1, database sessions, no cookie cache; its rate limiter off, as it is by default without NODE_ENV=production), built, served and loaded the same way: better-auth and API in turn, ${ROUNDS} runs of ${ROUND_DURATION} each, the median shown (every run in brackets); non-2xx summed over all runs. Issue 18's target: sign-in at least 3 times better-auth's, with PBKDF2 at 100,000 iterations.`,
  "",
  "| request | connections | better-auth req/s | API req/s | API / better-auth | better-auth CPU µs/req | API CPU µs/req | better-auth/API CPU | better-auth p50 / p99 ms | API p50 / p99 ms | better-auth non-2xx | API non-2xx |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ...versus.map(
    (r) =>
      `| ${r.title} | ${r.connections} | ${fig(r.betterAuth)}${runs(r.betterAuth)} | ${fig(r.api)}${runs(r.api)} | ${(r.api.rps / r.betterAuth.rps).toFixed(2)} | ${cpu(r.betterAuth)} | ${cpu(r.api)} | ${r.betterAuth.cpuUs && r.api.cpuUs ? (r.betterAuth.cpuUs / r.api.cpuUs).toFixed(2) : "–"} | ${r.betterAuth.p50} / ${r.betterAuth.p99} | ${r.api.p50} / ${r.api.p99} | ${r.betterAuth.non2xx}${r.betterAuth.statuses ? ` (${r.betterAuth.statuses})` : ""} | ${r.api.non2xx}${r.api.statuses ? ` (${r.api.statuses})` : ""} |`,
  ),
  `| bundle, gzipped (raw) | | ${size.betterAuth.gzKib} KiB (${size.betterAuth.kib}) | ${size.api.gzKib} KiB (${size.api.kib}) | – | | | | | | | |`,
  "",
  "| request, one at a time | n | p50 ms | p95 ms |",
  "|---|---|---|---|",
  ...latency.map((l) => `| \`${l.name}\` | ${l.n} | ${l.p50} | ${l.p95} |`),
  "",
  `API workerd resident memory: ${rssIdle} MiB before the load, ${rssLoaded} MiB after it.`,
  "",
  "| rate limits off / on (API started afresh each, 32 connections) | req/s | p50 ms | p99 ms | non-2xx |",
  "|---|---|---|---|---|",
  ...rateLimitRuns.map((t) => `| \`${t.title}\` | ${t.rps} | ${t.p50} | ${t.p99} | ${t.non2xx} |`),
];
writeFileSync(`${root}bench/results.md`, `${lines.join("\n")}\n`);
// The README's "Benchmarks" section shows the last run, between these markers.
const readme = readFileSync(`${root}README.md`, "utf8");
const marked = /<!-- bench-results -->[\s\S]*?<!-- \/bench-results -->/;
if (marked.test(readme)) {
  writeFileSync(
    `${root}README.md`,
    readme.replace(marked, () => `<!-- bench-results -->\n${lines.join("\n")}\n<!-- /bench-results -->`),
  );
}
console.log(`\n${lines.join("\n")}`);
