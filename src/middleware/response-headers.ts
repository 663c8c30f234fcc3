import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { isJsonMediaType, mediaTypeOf } from "../lib/media-type";

/**
 * Security headers on every response: those OWASP's REST Security Cheat Sheet lists for an API (a
 * CSP that allows nothing, nosniff, framing refused; HSTS below), with the resource policy (no other
 * site's page may load the answer as a script or image). Each costs every response a few per cent of
 * a small request's CPU in workerd (`node bench/ab.mjs`: `hello` with and without them), so a header
 * goes here only where it protects a JSON answer.
 */
const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ["Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"],
  ["Cross-Origin-Resource-Policy", "same-origin"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "SAMEORIGIN"],
];

/**
 * HSTS, on answers to HTTPS requests only: RFC 6797 (7.2) says a host MUST NOT send it over
 * non-secure transport, where a man in the middle could have written it anyway. Deployed, clients
 * reach the Worker over HTTPS; `wrangler dev` on `http://localhost` gets none.
 */
const HSTS = ["Strict-Transport-Security", "max-age=63072000; includeSubDomains"] as const;

/**
 * The rest of helmet's set: headers that only mean something to a browser showing the response as a
 * page or saving it as a download (opener isolation, the referrer of its links and subresources, DNS
 * prefetching, old IE and Flash policies). They go on every response that is not JSON (the HTML
 * pages, CSV reports, redirects), not on the API's JSON answers, where they would only be bytes to
 * build, send and parse.
 */
const DOCUMENT_HEADERS: readonly (readonly [string, string])[] = [
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Origin-Agent-Cluster", "?1"],
  ["Referrer-Policy", "no-referrer"],
  ["X-DNS-Prefetch-Control", "off"],
  ["X-Download-Options", "noopen"],
  ["X-Permitted-Cross-Domain-Policies", "none"],
  ["X-XSS-Protection", "0"],
];

export interface ResponseHeadersOptions {
  /** Requests under this prefix are API requests: `Cache-Control: no-store` and CORS. */
  apiPrefix: string;
  /** The origins a browser may call the API from, with credentials (cookies). */
  allowedOrigins(c: Context<AppEnv>): readonly string[];
  /** Methods and request headers a preflight allows. */
  allowMethods: readonly string[];
  allowHeaders: readonly string[];
  /** Response headers a page of an allowed origin may read. */
  exposeHeaders: readonly string[];
  /** How long a browser may keep a preflight's answer (seconds). */
  maxAgeSeconds: number;
}

/** A caller's `X-Request-Id` is kept when it is short and plain; otherwise a new one. */
const REQUEST_ID = /^[\w\-=]{1,255}$/;

/**
 * The headers that do not depend on what a route does, set in one place: `X-Request-Id` (the
 * caller's, when well formed, else a new UUID; also `c.get("requestId")` for logs), the security
 * headers (HSTS over HTTPS), `Cache-Control: no-store` on API responses (personal data, and answers
 * that depend on who asks), and CORS for `allowedOrigins` with credentials, preflights (`OPTIONS`)
 * answered here; `Vary: Origin` after the route, on an API answer that a cache may store.
 *
 * They are given to Hono before the route runs, so that the route's response is built once with
 * them all; a route that sets one of them itself (a page's own CSP, its own `Cache-Control`)
 * replaces the default. A response that was not built through the context (a static asset, a
 * WebSocket upgrade) gets them afterwards, copied when its headers are immutable; a response that is
 * not JSON also gets `DOCUMENT_HEADERS` then.
 */
export function responseHeaders(options: ResponseHeadersOptions): MiddlewareHandler<AppEnv> {
  const prefix = `${options.apiPrefix}/`;
  const allowMethods = options.allowMethods.join(",");
  const allowHeaders = options.allowHeaders.join(",");
  const exposeHeaders = options.exposeHeaders.join(",");
  const maxAge = String(options.maxAgeSeconds);
  return async function responseHeadersMiddleware(c, next) {
    const given = c.req.header("x-request-id");
    const requestId = given !== undefined && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    c.set("requestId", requestId);
    const headers: (readonly [string, string])[] = [["X-Request-Id", requestId], ...SECURITY_HEADERS];
    if (c.req.url.startsWith("https:")) headers.push(HSTS);
    const path = c.req.path;
    const api = path.startsWith(prefix) || path === options.apiPrefix;
    if (api) {
      headers.push(["Cache-Control", "no-store"]);
      const origin = c.req.header("origin");
      if (origin !== undefined && options.allowedOrigins(c).includes(origin)) {
        headers.push(
          ["Access-Control-Allow-Origin", origin],
          ["Access-Control-Allow-Credentials", "true"],
          ["Access-Control-Expose-Headers", exposeHeaders],
        );
      }
      if (c.req.method === "OPTIONS") {
        headers.push(
          ["Access-Control-Allow-Methods", allowMethods],
          ["Access-Control-Allow-Headers", allowHeaders],
          ["Access-Control-Max-Age", maxAge],
          ["Vary", "Origin"],
        );
        return c.body(null, 204, Object.fromEntries(headers));
      }
    }
    for (const [name, value] of headers) c.header(name, value);
    await next();
    const res = c.res;
    const document = !isJsonMediaType(mediaTypeOf(res.headers.get("content-type")));
    // A response built by `c.json()` & co. carries them all; one built elsewhere none.
    const missing = res.headers.has("X-Request-Id") ? [] : headers;
    const vary = api ? varyOnOrigin(res.headers, missing.length > 0) : undefined;
    if (!document && missing.length === 0 && vary === undefined) return;
    const add = document ? [...missing, ...DOCUMENT_HEADERS] : missing;
    const complete = (target: Headers) => {
      for (const [name, value] of add) if (!target.has(name)) target.set(name, value);
      if (vary !== undefined) target.set("Vary", vary);
    };
    try {
      complete(res.headers);
    } catch {
      // Immutable headers (a fetched response): a copy, which `c.res =` makes mutable.
      c.res = new Response(res.body, res);
      complete(c.res.headers);
    }
  };
}

/**
 * The `Vary` an API answer needs, or undefined when it needs none. Its CORS headers depend on the
 * caller's `Origin`, which matters to a cache that may store the answer: one a route made cacheable
 * with its own `Cache-Control`. An answer that leaves as `no-store` (every one today, `defaulted` or
 * not) is stored by no cache, so `Vary` would only be bytes to send (RFC 9111, 5.2.2.5 and 4.1).
 */
function varyOnOrigin(headers: Headers, defaulted: boolean): string | undefined {
  const cacheControl = headers.get("cache-control");
  if (cacheControl === "no-store" || (cacheControl === null && defaulted)) return undefined;
  const vary = headers.get("vary");
  if (vary === null) return "Origin";
  return /(?:^|,)\s*(?:origin|\*)\s*(?:,|$)/i.test(vary) ? undefined : `${vary}, Origin`;
}
