#!/usr/bin/env node
// `node bench/ab.mjs A.js B.js [path ...]`: two builds of the API side by side, to measure one change.
//
// Serves both bundles with Miniflare as `npm run bench` does, gives each the same data through its
// own API (100 published trainings, a user), then for each path runs `wrk -t2 -c32` against A and B
// in turn, AB_PAIRS pairs of AB_SECONDS each after a warm-up of both, and prints every pair's B / A
// ratio of req/s and of workerd CPU per request, and their medians. The two runs of a pair are next
// to each other in time, so a slower spell of the machine moves both; a change whose median stays
// within about 0.05 of 1.00 is noise on these machines. Needs `wrk`.
//   node scripts/build.mjs && cp dist/worker/index.js dist/before.js   (both under the project: workerd
//   loads a script by a path relative to it)
//   (make the change) node scripts/build.mjs
//   node bench/ab.mjs dist/before.js dist/worker/index.js /api/v1/auth/me
// Paths default to /api/v1/hello, /api/v1/auth/me and /api/v1/trainings?limit=20; a user's bearer
// token is sent with each request.
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { call, cpuMicros, startWorker } from "./miniflare.mjs";

const API = "/api/v1";
const [a, b, ...given] = process.argv.slice(2);
if (!a || !b) {
  console.error("usage: node bench/ab.mjs A.js B.js [path ...]");
  process.exit(2);
}
const paths = given.length ? given : [`${API}/hello`, `${API}/auth/me`, `${API}/trainings?limit=20`];
const PAIRS = Number(process.env.AB_PAIRS ?? 10);
const SECONDS = Number(process.env.AB_SECONDS ?? 2);

/** A bundle served with its data, its workerd pids and a user's access token. */
async function serve(script) {
  const worker = await startWorker({}, { scriptPath: resolve(script) });
  const admin = await call(worker.base, "POST", `${API}/auth/login`, {
    email: "admin@bench.test",
    password: "bench-admin-passphrase",
  });
  for (let i = 0; i < 100; i++) {
    await call(
      worker.base,
      "POST",
      `${API}/trainings`,
      { title: `Bench training ${i}`, category: "SECURITY", level: "BEGINNER", status: "PUBLISHED" },
      admin.access_token,
    );
  }
  const user = await call(worker.base, "POST", `${API}/auth/register`, {
    username: "abuser",
    email: "abuser@bench.test",
    password: "an a/b bench passphrase",
  });
  return { ...worker, token: user.access_token };
}

/** req/s and workerd CPU µs per request of one wrk run. */
function load(worker, path, seconds) {
  const before = cpuMicros(worker.pids);
  const out = execFileSync(
    "wrk",
    ["-t2", "-c32", `-d${seconds}s`, "-H", `authorization: Bearer ${worker.token}`, `${worker.base}${path}`],
    { encoding: "utf8" },
  );
  const requests = Number(out.match(/(\d+) requests in/)[1]);
  const non2xx = Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  if (non2xx) throw new Error(`${path}: ${non2xx} non-2xx answers`);
  return {
    rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)[1]),
    cpuUs: (cpuMicros(worker.pids) - before) / requests,
  };
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const A = await serve(a);
const B = await serve(b);
console.log(`B = ${b}, A = ${a}; ${PAIRS} pairs of ${SECONDS} s`);
for (const path of paths) {
  load(A, path, 2);
  load(B, path, 2);
  const rps = [];
  const cpu = [];
  for (let i = 0; i < PAIRS; i++) {
    const x = load(A, path, SECONDS);
    const y = load(B, path, SECONDS);
    rps.push(y.rps / x.rps);
    cpu.push(x.cpuUs / y.cpuUs);
  }
  const fmt = (xs) => xs.map((r) => r.toFixed(2)).join(" ");
  console.log(`${path}\n  B/A req/s  median ${median(rps).toFixed(2)}  (${fmt(rps)})`);
  console.log(`  A/B CPU    median ${median(cpu).toFixed(2)}  (${fmt(cpu)})`);
}
await A.mf.dispose();
await B.mf.dispose();
