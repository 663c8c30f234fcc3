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
 *   await createTraining(c.var.deps, c.var.auth, c.req.valid("json"))
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
  /** Workers AI (`AI` binding), when declared: chat answers are then phrased by a model. */
  ai: TextModel | undefined;
  /** The chat WebSocket Durable Objects (`CHAT_SOCKETS`). */
  chatSockets: Bindings["CHAT_SOCKETS"];
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
): Deps {
  const config = configOf(env);
  const d1 = config.d1MaxBoundParameters ? withParameterLimit(env.DB, config.d1MaxBoundParameters) : env.DB;
  return {
    clock,
    config,
    d1,
    db: dbOf(d1),
    counters: env.RATE_LIMIT_KV,
    pepper: env.PASSWORD_PEPPER,
    keys: () => keyRing(env.JWT_PRIVATE_KEY, env.JWT_PREVIOUS_PUBLIC_KEY, config.jwt),
    meta,
    rateCounters,
    tokens: env.TOKENS_KV,
    emailQueue: env.EMAIL_QUEUE,
    sendEmail: env.SEND_EMAIL,
    // Not declared in wrangler.toml by default (Workers AI has no local mode): see the README.
    ai: (env as { AI?: TextModel }).AI,
    chatSockets: env.CHAT_SOCKETS,
  };
}

/** The request's IP and user agent. */
export function requestMeta(req: Request): RequestMeta {
  return {
    ip: req.headers.get("cf-connecting-ip")?.slice(0, 64) ?? null,
    userAgent: req.headers.get("user-agent")?.slice(0, 300) ?? null,
  };
}

/**
 * Sets `c.var.deps` for the rest of the request, with the app's clock and rate-limit counters.
 *
 * @example
 *   app.use("*", provideDeps({ clock: systemClock, rateCounters: new RateCounters() }))
 */
export function provideDeps(options: { clock: Clock; rateCounters: RateCounters }): MiddlewareHandler<AppEnv> {
  return async function provideDepsMiddleware(c, next) {
    c.set("deps", depsOf(c.env, options.clock, requestMeta(c.req.raw), options.rateCounters));
    return next();
  };
}
