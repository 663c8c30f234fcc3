#!/usr/bin/env node
// `node bench/profile.mjs [path ...]`: where the Worker's CPU time goes under load, per function.
//
// Builds the bundle unminified with its names (`scripts/build.mjs --readable`), serves it with
// Miniflare as `npm run bench` does, with the V8 inspector on, loads each path with `wrk -c32 -d5s`
// while the sampling profiler runs, and prints the functions with the most self time and the most
// inclusive time (the time of everything they called too). Needs `wrk`.
//   node bench/profile.mjs                       /hello, /auth/me, /trainings?limit=20
//   node bench/profile.mjs /api/v1/auth/me       one path (a bearer token of a user is sent)
//   PROFILE_TOP=60 node bench/profile.mjs ...     more rows
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { importJWK, SignJWT } from "jose";
import { call as callAt, privateJwk, publicJwk, root, startWorker } from "./miniflare.mjs";

const require = createRequire(import.meta.url);
const WebSocket = require("ws");
const API = "/api/v1";
const TOP = Number(process.env.PROFILE_TOP ?? 25);
const paths = process.argv.slice(2).length
  ? process.argv.slice(2)
  : [`${API}/hello`, `${API}/auth/me`, `${API}/trainings?limit=20`];

// PROFILE_SCRIPT=dist/ceiling/index.js profiles another Worker (the ceiling of `npm run bench`) the same way.
const script = process.env.PROFILE_SCRIPT ? `${root}${process.env.PROFILE_SCRIPT}` : `${root}dist/profile/index.js`;
if (!process.env.PROFILE_SCRIPT) {
  execFileSync(process.execPath, ["scripts/build.mjs", "--readable"], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
}

const inspectorPort = 9300 + Math.floor(Math.random() * 500);
const { mf, base } = await startWorker(
  { RATE_LIMITS_ENABLED: process.env.RATE_LIMITS_ENABLED ?? "false", JWT_PUBLIC_KEY: publicJwk },
  { scriptPath: script, inspectorPort },
);

const call = (method, path, body, token) => callAt(base, method, path, body, token);
// Another Worker (the ceiling) gets a token of user 1 signed with the key it verifies with.
let token = process.env.PROFILE_SCRIPT
  ? await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: "bench" })
      .setSubject("1")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(await importJWK(JSON.parse(privateJwk), "ES256"))
  : "none";
if (!process.env.PROFILE_SCRIPT) {
  const admin = await call("POST", `${API}/auth/login`, {
    email: "admin@bench.test",
    password: "bench-admin-passphrase",
  });
  for (let i = 0; i < 30; i++) {
    await call(
      "POST",
      `${API}/trainings`,
      { title: `Profile training ${i}`, category: "SECURITY", level: "BEGINNER", status: "PUBLISHED" },
      admin.access_token,
    );
  }
  const user = await call("POST", `${API}/auth/register`, {
    username: "profileuser",
    email: "profileuser@bench.test",
    password: "a profile passphrase",
  });
  token = user.access_token;
}

// The inspector: one target per Worker.
const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
const target = targets.find((t) => t.title?.includes("api")) ?? targets[0];
const socket = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((resolve, reject) => {
  socket.once("open", resolve);
  socket.once("error", reject);
});
let nextId = 0;
const pending = new Map();
socket.on("message", (data) => {
  const message = JSON.parse(data);
  if (message.id && pending.has(message.id)) {
    pending.get(message.id)(message);
    pending.delete(message.id);
  }
});
const send = (method, params = {}) =>
  new Promise((resolve, reject) => {
    const id = ++nextId;
    pending.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
    socket.send(JSON.stringify({ id, method, params }));
  });
await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 100 });

for (const path of paths) {
  execFileSync("wrk", ["-t2", "-c32", "-d2s", "-H", `authorization: Bearer ${token}`, `${base}${path}`]);
  await send("Profiler.start");
  const out = execFileSync("wrk", ["-t2", "-c32", "-d5s", "-H", `authorization: Bearer ${token}`, `${base}${path}`], {
    encoding: "utf8",
  });
  const { profile } = await send("Profiler.stop");
  const rps = out.match(/Requests\/sec:\s+([\d.]+)/)[1];
  const requests = Number(out.match(/(\d+) requests in/)[1]);
  console.log(`\n## ${path}: ${rps} req/s (${requests} requests)`);
  report(profile, requests);
}
socket.close();
await mf.dispose();

/** Prints self and inclusive time per function, in µs per request. */
function report(profile, requests) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const label = (n) => {
    const { functionName, url, lineNumber } = n.callFrame;
    const file = url ? url.replace(/.*\//, "") : "";
    return `${functionName || "(anonymous)"} ${file}${url ? `:${lineNumber + 1}` : ""}`;
  };
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    total += dt;
    const node = byId.get(id);
    self.set(label(node), (self.get(label(node)) ?? 0) + dt);
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const l = label(byId.get(at));
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
    }
  });
  const perRequest = (us) => (us / requests).toFixed(1).padStart(8);
  const idle = (self.get("(idle) ") ?? 0) + (self.get("(program) ") ?? 0);
  console.log(
    `sampled ${(total / 1000).toFixed(0)} ms; not idle/program: ${perRequest(total - idle)} µs per request; (program) ${perRequest(self.get("(program) ") ?? 0)}; GC ${perRequest(self.get("(garbage collector) ") ?? 0)}`,
  );
  const table = (title, map) => {
    console.log(`\n${title} (µs per request)`);
    for (const [l, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
      if (l.startsWith("(idle)") || l.startsWith("(root)")) continue;
      console.log(`${perRequest(us)}  ${l}`);
    }
  };
  table("self", self);
  table("inclusive", inclusive);
}
