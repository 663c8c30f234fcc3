import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { createApp } from "../src/app";
import worker from "../src/index";
import type { Clock } from "../src/lib/clock";

export const BASE = "https://api.example.test";
export const API = `${BASE}/api/v1`;

/** `call` and `send` over one way of handling a request. */
function clientOf(handle: (req: Request) => Promise<Response>) {
  /** Sends a request as a client would. */
  const call = (path: string, init: RequestInit = {}): Promise<Response> =>
    handle(new Request(path.startsWith("http") ? path : `${BASE}${path}`, init));

  /** JSON request helper: `send("POST", "/api/v1/x", {a: 1}, token)`. */
  const send = (method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}) => {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined) h["Content-Type"] = "application/json";
    if (token) h.Authorization = `Bearer ${token}`;
    return call(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  };
  return { call, send };
}

/** Requests through the Worker's own `fetch`, with the real time. */
export const { call, send } = clientOf((req) => exports.default.fetch(req));

/** A clock that stands still until a test moves it. */
export function manualClock(startMs = Date.now()) {
  let now = startMs;
  return {
    now: () => now,
    /** Moves the clock forward. */
    advance(seconds: number) {
      now += seconds * 1000;
    },
  } satisfies Clock & Record<string, unknown>;
}

/**
 * Requests through an app built with `clock` over the test bindings (some replaced by `bindings`,
 * e.g. a wrapped D1 or KV): time-dependent tests move that clock.
 */
export function clientAt(clock: Clock, bindings: Partial<Env> = {}) {
  const app = createApp({ clock });
  return clientOf(async (req) => app.fetch(req, { ...env, ...bindings }));
}

/** Reads a JSON body with a loose type for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON.
export async function body(res: Response): Promise<any> {
  return res.json();
}

/** Unique suffix so tests sharing a database never collide. */
let counter = 0;
export function unique(prefix = "u"): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** Expects the contract's error body `{detail, status: "error", code}` with `status` and `code`; returns it. */
// biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON.
export async function expectError(res: Response, status: number, code: string): Promise<any> {
  expect(res.headers.get("content-type")).toContain("application/json");
  const json = await body(res);
  expect({ status: res.status, code: json.code, shape: json.status }).toEqual({ status, code, shape: "error" });
  expect(typeof json.detail === "string" || Array.isArray(json.detail)).toBe(true);
  return json;
}

/**
 * A D1 binding that counts round trips: each `first/all/run/raw` of a statement and each `batch()`
 * is one network round trip in production.
 */
export function countingDb(db: D1Database) {
  const counter = { trips: 0 };
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== "function") return value;
        if (prop === "bind") return (...args: unknown[]) => wrap(value.apply(target, args));
        return (...args: unknown[]) => {
          if (["first", "all", "run", "raw"].includes(String(prop))) counter.trips += 1;
          return value.apply(target, args);
        };
      },
    });
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === "prepare") return (query: string) => wrap(target.prepare(query));
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) => {
          counter.trips += 1;
          return target.batch(statements);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db: proxy, counter };
}

export { env };

/**
 * Runs the Worker's `scheduled` handler as the trigger of `cron` does (at `scheduledTime`, default
 * now; with `bindings` over the test env) and waits for what it left running.
 */
export async function runScheduled(cron: string, opts: { scheduledTime?: number; bindings?: Partial<Env> } = {}) {
  const ctx = createExecutionContext();
  await worker.scheduled(
    createScheduledController({ cron, scheduledTime: opts.scheduledTime ?? Date.now() }),
    { ...env, ...opts.bindings } as typeof env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
}
