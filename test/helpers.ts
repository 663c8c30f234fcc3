import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";

export const BASE = "https://api.example.test";
export const API = `${BASE}/api/v1`;

/** Sends a request through the Worker's own `fetch`, as a client would. */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  const url = path.startsWith("http")
    ? path
    : path.startsWith("/api") || !path.startsWith("/")
      ? `${BASE}${path}`
      : `${BASE}${path}`;
  return exports.default.fetch(new Request(url, init));
}

/** JSON request helper: `send("POST", "/api/v1/x", {a: 1}, token)`. */
export function send(
  method: string,
  path: string,
  body?: unknown,
  token?: string,
  headers: Record<string, string> = {},
) {
  const h: Record<string, string> = { ...headers };
  if (body !== undefined) h["Content-Type"] = "application/json";
  if (token) h.Authorization = `Bearer ${token}`;
  return call(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
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
