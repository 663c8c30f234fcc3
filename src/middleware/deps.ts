import type { MiddlewareHandler } from "hono";
import { type Db, dbOf } from "../db/client";
import { withParameterLimit } from "../db/parameter-limit";
import type { AppEnv, Bindings } from "../env";
import type { Clock } from "../lib/clock";
import { type Config, configOf } from "../lib/config";
import { type KeyRing, keyRing } from "../lib/jwt";
import { RateCounters } from "./rate-limit";

/** Client IP (`CF-Connecting-IP`) and user agent, cut to their column sizes, for sessions and the audit trail. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

/**
 * Everything a service may use, built once per request (or per queue batch and cron run): services
 * receive it as their first argument and never reach into `env` themselves.
 *
 * @example
 *   await createTraining(c.get("deps"), c.get("auth"), c.req.valid("json"))
 */
export interface Deps {
  clock: Clock;
  config: Config;
  /** Raw D1, for `Statement`s run through `runBatch()`. */
  d1: D1Database;
  /** drizzle over the same database, for reads. */
  db: Db;
  /** Counters (login throttling, rate limits). */
  counters: KVNamespace;
  /** Secret mixed into every password hash. */
  pepper: string;
  /** The JWT signing key and the public keys that verify tokens (built once per isolate). */
  keys(): Promise<KeyRing>;
  /** Who sent the request (both null outside a request). */
  meta: RequestMeta;
  /** This app's rate-limit counters (see `rateLimit()`). */
  rateCounters: RateCounters;
  /** One-time tokens (magic links, password reset, email verification), hashed, with a TTL. */
  tokens: KVNamespace;
  /** The `emails` queue: the request enqueues, the consumer sends. */
  emailQueue: Queue;
  /** The `send_email` binding, for `EMAIL_TRANSPORT=cloudflare`. */
  sendEmail: SendEmail;
  /** The `webhook-deliveries` queue: one message per (event, endpoint) delivery. */
  webhookQueue: Queue;
  /** Workers AI (`AI` binding), when declared: chat answers are then phrased by a model. */
  ai: TextModel | undefined;
  /** The chat WebSocket Durable Objects (`CHAT_SOCKETS`). */
  chatSockets: Bindings["CHAT_SOCKETS"];
  /** The static assets (`ASSETS`, `public/`): the password policy reads its common-password list there. */
  assets: Fetcher;
}

/** What chat needs of the Workers AI binding (`env.AI.run`), so that tests can hand it a fake. */
export interface TextModel {
  run(model: string, inputs: { messages: { role: string; content: string }[] }): Promise<unknown>;
}

const NO_META: RequestMeta = { ip: null, userAgent: null };

/** The dependencies over a Worker's bindings: for requests (through `provideDeps()`), queues and cron. */
export function depsOf(
  env: Bindings,
  clock: Clock,
  meta: RequestMeta = NO_META,
  rateCounters: RateCounters = new RateCounters(),
  database: D1Database = env.DB,
): Deps {
  const config = configOf(env);
  const d1 = config.d1MaxBoundParameters ? withParameterLimit(database, config.d1MaxBoundParameters) : database;
  return withLazyDb({
    clock,
    config,
    d1,
    counters: env.RATE_LIMIT_KV,
    pepper: env.PASSWORD_PEPPER,
    keys: () => keyRing(env.JWT_PRIVATE_KEY, env.JWT_PREVIOUS_PUBLIC_KEY, config.jwt),
    meta,
    rateCounters,
    tokens: env.TOKENS_KV,
    emailQueue: env.EMAIL_QUEUE,
    sendEmail: env.SEND_EMAIL,
    webhookQueue: env.WEBHOOK_QUEUE,
    // Not declared in wrangler.toml by default (Workers AI has no local mode): see the README.
    ai: (env as { AI?: TextModel }).AI,
    chatSockets: env.CHAT_SOCKETS,
    assets: env.ASSETS,
  });
}

/**
 * `deps` over another D1 binding (the request's checked one, or one that taps what it runs); the
 * drizzle client over it is built when a read first needs it.
 */
export function depsOver(deps: Deps, d1: D1Database): Deps {
  return withLazyDb({ ...deps, d1 });
}

/**
 * `fields` with `db`, drizzle over `fields.d1`, built on first use (a request that reads nothing
 * through drizzle builds none). A getter of the class, so that `{ ...deps }` copies no stale client.
 */
function withLazyDb(fields: Omit<Deps, "db">): Deps {
  return new LazyDeps(fields) as unknown as Deps;
}

class LazyDeps {
  #db: Db | undefined;
  constructor(fields: Omit<Deps, "db">) {
    Object.assign(this, fields);
  }
  get db(): Db {
    this.#db ??= dbOf((this as unknown as Deps).d1);
    return this.#db;
  }
}

/** The request's IP and user agent. */
export function requestMeta(req: Request): RequestMeta {
  return {
    ip: req.headers.get("cf-connecting-ip")?.slice(0, 64) ?? null,
    userAgent: req.headers.get("user-agent")?.slice(0, 300) ?? null,
  };
}

/** The response header that carries a D1 session bookmark, and the request header that hands it back. */
export const BOOKMARK_HEADER = "x-d1-bookmark";
/** What a D1 bookmark looks like (hex groups); anything else is ignored, not passed to D1. */
const BOOKMARK_PATTERN = /^[0-9a-f]{1,16}(-[0-9a-f]{1,40}){1,6}$/i;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The two methods requests use of a D1 session, and its bookmark. */
interface RequestSession extends Pick<D1Database, "prepare" | "batch"> {
  /** The bookmark of the last query, or null when the request ran none. */
  getBookmark(): string | null;
}

/**
 * The request's D1 session (D1's Sessions API, for read replication): anchored at the bookmark the
 * client hands back in `x-d1-bookmark` (so it reads its own writes, on whatever replica is that
 * recent), else a read may start on any replica (`first-unconstrained`) and a write on the primary
 * (`first-primary`). Without replication every query goes to the primary, as before. The session is
 * opened by the request's first query: a request that runs none opens none.
 */
function sessionOf(env: Bindings, method: string, bookmark: string | undefined): RequestSession | undefined {
  const db = env.DB;
  if (!configOf(env).d1Sessions || typeof db.withSession !== "function") return undefined;
  let session: D1DatabaseSession | undefined;
  const open = (): D1DatabaseSession => {
    if (session) return session;
    if (bookmark && BOOKMARK_PATTERN.test(bookmark)) {
      try {
        session = db.withSession(bookmark);
        return session;
      } catch {
        // A bookmark D1 doesn't accept is no reason to fail the request: start where a new client would.
      }
    }
    session = db.withSession(SAFE_METHODS.has(method) ? "first-unconstrained" : "first-primary");
    return session;
  };
  return {
    prepare: (query) => open().prepare(query),
    batch: (statements) => open().batch(statements),
    getBookmark: () => session?.getBookmark() ?? null,
  };
}

/**
 * Sets `c.get("deps")` for the rest of the request, with the app's clock and rate-limit counters, over
 * the request's D1 session; answers the session's bookmark in `x-d1-bookmark`.
 *
 * @example
 *   app.use("*", provideDeps({ clock: systemClock, rateCounters: new RateCounters() }))
 */
export function provideDeps(options: { clock: Clock; rateCounters: RateCounters }): MiddlewareHandler<AppEnv> {
  return async function provideDepsMiddleware(c, next) {
    const session = sessionOf(c.env, c.req.method, c.req.header(BOOKMARK_HEADER));
    // A session has the two methods requests use (`prepare`, `batch`); the rest of D1's surface is not used on it.
    const database = (session ?? c.env.DB) as D1Database;
    c.set("deps", depsOf(c.env, options.clock, requestMeta(c.req.raw), options.rateCounters, database));
    await next();
    const bookmark = session?.getBookmark();
    if (bookmark) {
      try {
        // On the response itself: `c.header()` after the response exists would copy it.
        c.res.headers.set(BOOKMARK_HEADER, bookmark);
      } catch {
        // A response with immutable headers (a static asset) reads nothing a bookmark would protect.
      }
    }
  };
}
