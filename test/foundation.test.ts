import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import type { AppEnv } from "../src/env";
import { responseHeaders } from "../src/middleware/response-headers";
import { body, call, env, expectError, send } from "./helpers";

describe("system endpoints", () => {
  it("serves the banner at /", async () => {
    const res = await call("/");
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({ message: "Identity & Training API is running", version: "1.0.0" });
  });

  it("answers hello", async () => {
    const res = await call("/api/v1/hello");
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({ message: "Hello, World!" });
  });

  it("reports healthy when D1 and KV answer", async () => {
    const res = await call("/api/v1/health");
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({ status: "healthy", database: "healthy", kv: "healthy" });
  });

  it("answers 503 naming the database when D1 fails", async () => {
    const brokenDb = {
      prepare: () => ({
        first: () => Promise.reject(new Error("D1 down")),
      }),
    } as unknown as D1Database;
    const res = await app.request("/api/v1/health", {}, { ...env, DB: brokenDb });
    expect(res.status).toBe(503);
    expect(await body(res)).toMatchObject({
      status: "unhealthy",
      database: "unhealthy",
      kv: "healthy",
      code: "SERVICE_UNAVAILABLE",
      detail: "Unavailable: database",
    });
  });

  it("answers 503 naming KV when KV fails", async () => {
    const brokenKv = { get: () => Promise.reject(new Error("KV down")) } as unknown as KVNamespace;
    const res = await app.request("/api/v1/health", {}, { ...env, RATE_LIMIT_KV: brokenKv });
    expect(res.status).toBe(503);
    expect(await body(res)).toMatchObject({ status: "unhealthy", database: "healthy", kv: "unhealthy" });
  });
});

describe("conventions", () => {
  it("puts X-Request-Id and security headers on every response, errors included", async () => {
    for (const path of ["/", "/api/v1/hello", "/nope"]) {
      const res = await call(path);
      expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
      expect(res.headers.get("strict-transport-security")).toContain("max-age=");
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    }
  });

  it("puts the document-only headers (referrer policy included) on pages and other non-JSON answers, not on JSON answers", async () => {
    const documentHeaders = {
      "cross-origin-opener-policy": "same-origin",
      "origin-agent-cluster": "?1",
      "referrer-policy": "no-referrer",
      "x-dns-prefetch-control": "off",
      "x-download-options": "noopen",
      "x-permitted-cross-domain-policies": "none",
      "x-xss-protection": "0",
    };
    const of = (res: Response) => Object.fromEntries(Object.keys(documentHeaders).map((h) => [h, res.headers.get(h)]));
    for (const path of ["/docs", "/", "/openapi.json", "/api/v1/hello", "/api/v1/nope"]) {
      const res = await call(path);
      const json = (res.headers.get("content-type") ?? "").startsWith("application/json");
      expect({ path, json, headers: of(res) }).toEqual({
        path,
        json: !path.startsWith("/docs"),
        headers: json ? Object.fromEntries(Object.keys(documentHeaders).map((h) => [h, null])) : documentHeaders,
      });
      expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
    }
  });

  it("keeps a caller's well-formed X-Request-Id", async () => {
    const res = await call("/api/v1/hello", { headers: { "X-Request-Id": "trace-abc-123" } });
    expect(res.headers.get("x-request-id")).toBe("trace-abc-123");
  });

  it("tolerates a trailing slash", async () => {
    const res = await call("/api/v1/hello/");
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({ message: "Hello, World!" });
  });

  it("answers 404 in the error shape for an unknown route", async () => {
    const json = await expectError(await call("/api/v1/does-not-exist"), 404, "NOT_FOUND");
    expect(json.detail).toBe("Path /api/v1/does-not-exist not found");
  });

  it("answers 405 with Allow for a wrong method on a known path", async () => {
    const res = await send("DELETE", "/api/v1/hello");
    const json = await expectError(res, 405, "METHOD_NOT_ALLOWED");
    expect(json.detail).toBe("Method DELETE not allowed");
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });

  it("allows configured origins through CORS", async () => {
    const ok = await call("/api/v1/hello", {
      method: "OPTIONS",
      headers: { Origin: "https://app.example.test", "Access-Control-Request-Method": "POST" },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://app.example.test");
    expect(ok.headers.get("access-control-allow-credentials")).toBe("true");
  });

  it("allows no other origin through CORS", async () => {
    const evil = await call("/api/v1/hello", { headers: { Origin: "https://evil.example" } });
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    expect(evil.headers.get("access-control-allow-credentials")).toBeNull();
    expect(evil.headers.get("access-control-expose-headers")).toBeNull();
    // A no-store answer is kept by no cache: nothing for `Vary: Origin` to key.
    expect(evil.headers.get("vary")).toBeNull();
    const preflight = await call("/api/v1/hello", {
      method: "OPTIONS",
      headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect(preflight.headers.get("vary")).toBe("Origin");
  });

  it("sends HSTS over HTTPS only (RFC 6797, 7.2)", async () => {
    const secure = await call("https://api.example.test/api/v1/hello");
    expect(secure.headers.get("strict-transport-security")).toBe("max-age=63072000; includeSubDomains");
    for (const path of ["/api/v1/hello", "/docs", "/api/v1/nope"]) {
      const plain = await call(`http://api.example.test${path}`);
      expect(plain.headers.get("strict-transport-security")).toBeNull();
      expect(plain.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  it("adds Vary: Origin to an API answer a cache may store, merged with the route's own Vary", async () => {
    const mini = new Hono<AppEnv>();
    mini.use(
      "*",
      responseHeaders({
        apiPrefix: "/api",
        allowedOrigins: () => ["https://app.example.test"],
        allowMethods: ["GET"],
        allowHeaders: [],
        exposeHeaders: [],
        maxAgeSeconds: 60,
      }),
    );
    mini.get("/api/public", (c) => {
      c.header("Cache-Control", "public, max-age=60");
      return c.json({});
    });
    mini.get("/api/negotiated", (c) => {
      c.header("Cache-Control", "max-age=60");
      c.header("Vary", "Accept-Encoding");
      return c.json({});
    });
    mini.get("/api/already", (c) => {
      c.header("Cache-Control", "max-age=60");
      c.header("Vary", "accept, ORIGIN");
      return c.json({});
    });
    mini.get("/api/private", (c) => c.json({}));
    mini.get("/outside", (c) => {
      c.header("Cache-Control", "max-age=60");
      return c.json({});
    });
    mini.get("/api/asset", () => new Response("{}", { headers: { "content-type": "application/json" } }));
    const vary = async (path: string) =>
      (await mini.request(path, { headers: { Origin: "https://app.example.test" } })).headers.get("vary");
    expect(await vary("/api/public")).toBe("Origin");
    expect(await vary("/api/negotiated")).toBe("Accept-Encoding, Origin");
    expect(await vary("/api/already")).toBe("accept, ORIGIN");
    expect(await vary("/api/private")).toBeNull();
    expect(await vary("/outside")).toBeNull();
    // Built outside the context: it is given `no-store` afterwards, with the rest.
    const asset = await mini.request("/api/asset");
    expect([asset.headers.get("cache-control"), asset.headers.get("vary")]).toEqual(["no-store", null]);
  });

  it("answers a preflight with the allowed methods and headers, and the security headers", async () => {
    const res = await call("/api/v1/trainings/12", {
      method: "OPTIONS",
      headers: { Origin: "https://app.example.test", "Access-Control-Request-Method": "PATCH" },
    });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect(res.headers.get("access-control-allow-methods")).toContain("PATCH");
    expect(res.headers.get("access-control-allow-headers")).toContain("Authorization");
    expect(res.headers.get("access-control-max-age")).toBe("600");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("gives a cross-origin error answer the CORS headers too, so that the page can read it", async () => {
    const res = await call("/api/v1/auth/me", { headers: { Origin: "https://app.example.test" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.test");
    expect(res.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("puts no API headers (no-store, CORS) on pages outside the API, and keeps a page's own CSP", async () => {
    const res = await call("/docs", { headers: { Origin: "https://app.example.test" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("content-security-policy")).not.toContain("default-src 'none'");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
  });

  it("replaces an ill-formed X-Request-Id with a new one", async () => {
    const res = await call("/api/v1/hello", { headers: { "X-Request-Id": "bad id\twith spaces" } });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("OpenAPI and docs", () => {
  it("serves an OpenAPI 3.1 document that lists the operations", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    const doc = await body(res);
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/", "/api/v1/hello", "/api/v1/health"]));
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("documents schemas from zod: named components by $ref, examples, and no extra keys only where a body refuses them", async () => {
    const doc = await body(await call("/openapi.json"));
    const put = doc.paths["/api/v1/trainings/{id}"].put;
    expect(put.parameters).toEqual([
      { schema: { type: "integer", exclusiveMinimum: 0, example: 1 }, required: true, name: "id", in: "path" },
    ]);
    expect(put.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/UpdateTraining" });
    expect(put.responses["200"].content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/TrainingEnvelope",
    });
    // A strict request body refuses unknown keys; a response is not parsed, so it promises nothing of the kind.
    expect(doc.components.schemas.CreateTraining.additionalProperties).toBe(false);
    expect(doc.components.schemas.CreateTraining.properties.title).toMatchObject({
      type: "string",
      minLength: 1,
      maxLength: 200,
      example: "Security Awareness Training",
    });
    expect(doc.components.schemas.Training).not.toHaveProperty("additionalProperties");
    expect(doc.components.schemas.User).not.toHaveProperty("additionalProperties");
  });

  it("serves Swagger UI at /docs from local assets with a docs CSP", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain('src="/docs-assets/vendor/swagger-ui-bundle.js"');
    expect(html).not.toMatch(/https?:\/\//);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
  });

  it("serves ReDoc at /redoc from local assets", async () => {
    const res = await call("/redoc");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('spec-url="/openapi.json"');
    expect(html).toContain('src="/docs-assets/vendor/redoc.standalone.js"');
  });
});

describe("error paths on JSON endpoints", () => {
  const login = "/api/v1/auth/login";

  it("answers 400 MALFORMED_JSON for a body that is not valid JSON", async () => {
    const res = await call(login, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{oops" });
    await expectError(res, 400, "MALFORMED_JSON");
  });

  it("answers 415 for a body that is not JSON", async () => {
    const res = await call(login, { method: "POST", headers: { "Content-Type": "text/plain" }, body: "username=a" });
    const json = await expectError(res, 415, "UNSUPPORTED_MEDIA_TYPE");
    expect(json.detail).toBe("Request body must be JSON (Content-Type: application/json)");
  });

  it("takes a JSON body sent as application/<x>+json, as the body guard does (required and optional bodies)", async () => {
    const login = await call("/api/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/merge-patch+json" },
      body: JSON.stringify({ username: "a" }),
    });
    const loginJson = await expectError(login, 422, "VALIDATION_ERROR");
    expect(loginJson.detail).toEqual([
      { loc: ["body", "password"], msg: "Invalid input: expected string, received undefined", type: "invalid_type" },
    ]);
    // POST /auth/magic-link/verify takes JSON or a form post, its body not `required`: still validated.
    const verify = await call("/api/v1/auth/magic-link/verify", {
      method: "POST",
      headers: { "Content-Type": "application/vnd.api+json; charset=utf-8" },
      body: "{}",
    });
    const verifyJson = await expectError(verify, 422, "VALIDATION_ERROR");
    expect(verifyJson.detail.map((d: { loc: unknown }) => d.loc)).toEqual([["body", "token"]]);
  });

  it("answers 413 for a body over the limit", async () => {
    const res = await call(login, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: "a", password: "x".repeat(70 * 1024) }),
    });
    const json = await expectError(res, 413, "PAYLOAD_TOO_LARGE");
    expect(json.detail).toBe("Request body is larger than 65536 bytes");
  });

  it("answers 413 for a streamed body without Content-Length once it passes the limit", async () => {
    const chunk = new TextEncoder().encode(`{"username":"a","password":"${"x".repeat(16 * 1024)}`);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 6; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await call(login, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: stream,
      // @ts-expect-error: workerd's RequestInit takes `duplex` for streamed bodies
      duplex: "half",
    });
    await expectError(res, 413, "PAYLOAD_TOO_LARGE");
  });

  it("answers 422 with a loc/msg/type list for a body that fails validation", async () => {
    const res = await send("POST", login, { username: "someone" });
    const json = await expectError(res, 422, "VALIDATION_ERROR");
    expect(json.detail).toEqual([
      expect.objectContaining({ loc: ["body", "password"], type: "invalid_type", msg: expect.any(String) }),
    ]);
  });

  it("answers 500 INTERNAL_ERROR with the request id and no internals when a dependency throws", async () => {
    const brokenDb = {
      prepare: () => {
        throw new Error("SQLITE_CORRUPT: secret table layout users(password_hash)");
      },
      batch: () => Promise.reject(new Error("SQLITE_CORRUPT")),
    } as unknown as D1Database;
    const res = await app.request(
      "/api/v1/auth/login",
      {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Request-Id": "req-500-test" },
        body: JSON.stringify({ username: "nobody-here", password: "whatever password" }),
      },
      { ...env, DB: brokenDb },
    );
    expect(res.status).toBe(500);
    const json = await body(res);
    expect(json).toEqual({
      detail: "Internal server error (request id req-500-test)",
      status: "error",
      code: "INTERNAL_ERROR",
    });
    expect(JSON.stringify(json)).not.toMatch(/SQLITE|password_hash|at /);
    expect(res.headers.get("x-request-id")).toBe("req-500-test");
  });
});
