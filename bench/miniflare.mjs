// Shared by the benchmarks (run.mjs, reports.mjs): the deployed bundle served by Miniflare with local
// D1/KV and the migrations applied.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";

export const root = new URL("..", import.meta.url).pathname;
const require = createRequire(import.meta.url);
// The Miniflare that the project's wrangler uses (same workerd as `wrangler dev`).
// Its v5 constructor takes a new config shape; `convertV4MiniflareOptions` accepts the documented v4 one.
const { Miniflare, convertV4MiniflareOptions } = createRequire(require.resolve("wrangler/package.json"))("miniflare");

/** Builds the bundle as `npm run deploy` ships it (`scripts/build.mjs`), into `dist/worker/index.js`. */
export function buildBundle() {
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
}

/** The pids of the running `workerd serve` processes. */
function workerdPids() {
  try {
    return execFileSync("pgrep", ["-f", "workerd serve"], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/** CPU time (user + system, µs) the processes `pids` have used so far; a process that ended counts none. */
export function cpuMicros(pids) {
  const ticks = pids.reduce((sum, pid) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      return sum + Number(fields[11]) + Number(fields[12]);
    } catch {
      return sum;
    }
  }, 0);
  return (ticks * 1e6) / TICKS_PER_SECOND;
}

/** Applies every migration of `dir` (the API's `migrations/` by default), in order, to a Miniflare D1 database. */
export async function applyMigrations(db, dir = `${root}migrations`) {
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()) {
    const statements = readFileSync(`${dir}/${file}`, "utf8")
      .split("--> statement-breakpoint")
      .map((s) => s.replace(/^\s*--.*$/gm, "").trim())
      .filter(Boolean);
    await db.batch(statements.map((s) => db.prepare(s)));
  }
}

/**
 * The bundle's `ASSETS` binding: the files of `public/` by path (the Worker reads its common-password
 * list there, once per isolate). A service binding rather than Miniflare's asset router, which would
 * sit in front of every request under load.
 */
export async function servePublic(request) {
  try {
    return new Response(readFileSync(`${root}public${decodeURIComponent(new URL(request.url).pathname)}`));
  } catch {
    return new Response("Not Found", { status: 404 });
  }
}

const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
/** The public half of the key `startWorker()` signs with, as a JWK (what the ceiling Worker verifies with). */
export const publicJwk = JSON.stringify({ ...publicKey.export({ format: "jwk" }), kid: "bench", alg: "ES256" });
/** The private half, as a JWK: what `startWorker()` gives the API to sign with. */
export const privateJwk = JSON.stringify({ ...privateKey.export({ format: "jwk" }), kid: "bench", alg: "ES256" });

/**
 * Starts a Worker script (the bundle by default) in workerd with local D1/KV, `bindings` added to
 * the defaults; the `.sql` files of `migrations` applied (the API's by default; `null`: none).
 * `inspectorPort` turns on the V8 inspector (bench/profile.mjs); `port` (default: any free one).
 * With the pids of its workerd processes (for `cpuMicros`).
 */
export async function startWorker(
  bindings = {},
  { scriptPath = `${root}dist/worker/index.js`, inspectorPort, migrations = `${root}migrations`, port = 0 } = {},
) {
  const before = workerdPids();
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port,
      ...(inspectorPort ? { inspectorPort } : {}),
      workers: [
        {
          name: "api",
          scriptPath,
          modules: true,
          compatibilityDate: "2026-10-20",
          compatibilityFlags: ["nodejs_compat"],
          d1Databases: ["DB"],
          kvNamespaces: ["RATE_LIMIT_KV", "TOKENS_KV"],
          queueProducers: { WEBHOOK_QUEUE: "webhook-deliveries", EMAIL_QUEUE: "emails" },
          serviceBindings: { ASSETS: servePublic },
          bindings: {
            ENVIRONMENT: "bench",
            JWT_PRIVATE_KEY: privateJwk,
            PASSWORD_PEPPER: randomBytes(32).toString("base64url"),
            ADMIN_EMAIL: "admin@bench.test",
            ADMIN_PASSWORD: "bench-admin-passphrase",
            RATE_LIMITS_ENABLED: "false",
            ...bindings,
          },
        },
      ],
    }),
  );
  const url = await mf.ready;
  const pids = workerdPids().filter((p) => !before.includes(p));
  const db = await mf.getD1Database("DB");
  if (migrations) await applyMigrations(db, migrations);
  return { mf, base: url.origin, db, pids };
}

/** A JSON request to a started Worker at `base`; its JSON answer, or an error naming the status. */
export async function call(base, method, path, body, token) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body ? { "content-type": "application/json" } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => undefined);
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}
