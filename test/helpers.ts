import { env, exports } from "cloudflare:workers";

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

export { env };
