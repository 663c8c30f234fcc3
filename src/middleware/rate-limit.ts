import type { Context, MiddlewareHandler, Next } from "hono";
import type { AppEnv } from "../env";
import type { RateLimitGroup } from "../lib/config";
import { HttpErrors } from "../lib/errors";
import { afterResponse } from "./background";
import type { Deps } from "./deps";

/** KV's smallest `expirationTtl` (production refuses less; local KV does not check). */
export const KV_MIN_TTL_SECONDS = 60;
/** KV takes about one write per second per key in production: a counter is written back at most this often. */
export const WRITE_BACK_INTERVAL_MS = 1000;

interface Counter {
  /** The stored total as last read or written by this isolate. */
  base: number;
  /** Requests counted here and not yet written back. */
  pending: number;
  lastWriteMs: number;
  expiresMs: number;
  flushing?: Promise<void>;
}

/**
 * Fixed-window counters kept in KV, one per `group:subject:windowStart` key, with this isolate's
 * share coalesced: the stored value is read once per window (then counted here), and the total is
 * written back at most once a second (`WRITE_BACK_INTERVAL_MS`), as the stored value plus what this
 * isolate counted since. Several isolates and locations add up only approximately: KV is eventually
 * consistent between locations (60 s or more), so the limits are a brake, not an exact quota.
 * One instance per app (`createApp`), reached as `deps.rateCounters`.
 */
export class RateCounters {
  private readonly counters = new Map<string, Counter>();
  private readonly loading = new Map<string, Promise<Counter>>();

  /** The counter of `key`, reading the stored value the first time this isolate sees the key. */
  async counter(kv: KVNamespace, key: string, expiresMs: number, nowMs: number): Promise<Counter> {
    const known = this.counters.get(key);
    if (known) return known;
    let load = this.loading.get(key);
    if (!load) {
      load = kv.get(key).then((stored) => {
        const counter: Counter = { base: Number(stored) || 0, pending: 0, lastWriteMs: 0, expiresMs };
        this.prune(nowMs);
        this.counters.set(key, counter);
        return counter;
      });
      this.loading.set(key, load);
      load.finally(() => this.loading.delete(key)).catch(() => undefined);
    }
    return load;
  }

  /**
   * Writes `counter`'s pending requests back when the last write is at least a second old: the
   * stored value (never below what this isolate last knew, as a stale read may lag) plus the
   * pending count. Returns the write, or undefined when none is due.
   */
  writeBack(kv: KVNamespace, key: string, counter: Counter, nowMs: number, ttlSeconds: number) {
    if (counter.pending === 0 || counter.flushing || nowMs - counter.lastWriteMs < WRITE_BACK_INTERVAL_MS) return;
    counter.lastWriteMs = nowMs;
    const pending = counter.pending;
    counter.pending = 0;
    counter.flushing = (async () => {
      try {
        const stored = Number(await kv.get(key)) || 0;
        const total = Math.max(stored, counter.base) + pending;
        await kv.put(key, String(total), { expirationTtl: ttlSeconds });
        counter.base = total;
      } catch (err) {
        counter.pending += pending;
        console.error(JSON.stringify({ level: "error", msg: "rate limit write-back failed", error: String(err) }));
      } finally {
        counter.flushing = undefined;
      }
    })();
    return counter.flushing;
  }

  /** Drops the counters of windows that have ended. */
  private prune(nowMs: number) {
    if (this.counters.size < 1000) return;
    for (const [key, c] of this.counters) if (c.expiresMs <= nowMs) this.counters.delete(key);
  }
}

export interface RateLimitOptions {
  group: RateLimitGroup;
  /** Whom the limit counts: the client IP (`CF-Connecting-IP`) or the signed-in user (after `authenticate()`). */
  key: "ip" | "user";
  /** Counts only the requests this returns true for (default: all). */
  when?: (c: Context<AppEnv>) => boolean;
  /** Counts only requests that no other limiter counted (the default per-IP limit). */
  fallback?: boolean;
}

/**
 * Counts the request against its group's limit in a fixed window and answers 429 `RATE_LIMITED`
 * (with `Retry-After`) beyond it. Every limited response carries `X-RateLimit-Limit`,
 * `X-RateLimit-Remaining`, `X-RateLimit-Reset` (epoch seconds) and the IETF `RateLimit-Policy` /
 * `RateLimit` headers, of the most restrictive limit the request met. A KV failure lets the request
 * through (and is logged): the limiter fails open. Costs at most one KV read per request (the first
 * of a window in this isolate) and no D1 round trip.
 *
 * @example
 *   app.use("/api/v1/trainings/*", rateLimit({ group: "trainings", key: "ip" }))
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
  return function rateLimitMiddleware(c, next) {
    const deps = c.get("deps");
    if (!deps.config.rateLimitsEnabled || (options.when && !options.when(c))) return next();
    if (options.fallback && c.get("rateLimited")) return next();
    return counted(c, next, deps, options);
  };
}

/** Counts the request against its limit (429 beyond it) and answers its limit headers. */
async function counted(c: Context<AppEnv>, next: Next, deps: Deps, options: RateLimitOptions): Promise<void> {
  const subject = options.key === "ip" ? (deps.meta.ip ?? "unknown") : String(c.get("auth")?.userId ?? "anonymous");
  const { limit, windowSeconds } = deps.config.rateLimits[options.group];
  const nowMs = deps.clock.now();
  const windowMs = windowSeconds * 1000;
  const start = Math.floor(nowMs / windowMs) * windowMs;
  const resetSeconds = (start + windowMs) / 1000;
  const key = `rl:${options.group}:${subject}:${start}`;
  const ttl = Math.max(KV_MIN_TTL_SECONDS, windowSeconds * 2);
  c.set("rateLimited", true);

  let counter: Counter;
  try {
    counter = await deps.rateCounters.counter(deps.counters, key, start + windowMs, nowMs);
  } catch (err) {
    console.error(
      JSON.stringify({ level: "error", msg: "rate limit read failed; letting through", error: String(err) }),
    );
    return next();
  }
  const used = counter.base + counter.pending + 1;
  const headers = limitHeaders(options.group, limit, Math.max(0, limit - used), resetSeconds, windowSeconds, nowMs);
  if (used > limit) {
    const retryAfter = Math.max(1, Math.ceil(resetSeconds - nowMs / 1000));
    const error = HttpErrors.RATE_LIMITED(`Rate limit exceeded; try again in ${retryAfter} seconds`, retryAfter);
    Object.assign(error.headers, headers);
    throw error;
  }
  counter.pending += 1;
  await afterResponse(c, deps.rateCounters.writeBack(deps.counters, key, counter, nowMs, ttl));
  await next();
  const shown = Number(c.res.headers.get("X-RateLimit-Remaining") ?? Number.POSITIVE_INFINITY);
  if (Number(headers["X-RateLimit-Remaining"]) <= shown) {
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  }
}

/** The rate-limit headers of one limit. */
function limitHeaders(
  group: string,
  limit: number,
  remaining: number,
  resetSeconds: number,
  windowSeconds: number,
  nowMs: number,
): Record<string, string> {
  const untilReset = Math.max(0, Math.ceil(resetSeconds - nowMs / 1000));
  return {
    "X-RateLimit-Limit": String(limit),
    "X-RateLimit-Remaining": String(remaining),
    "X-RateLimit-Reset": String(Math.ceil(resetSeconds)),
    "RateLimit-Policy": `"${group}";q=${limit};w=${windowSeconds}`,
    RateLimit: `"${group}";r=${remaining};t=${untilReset}`,
  };
}
