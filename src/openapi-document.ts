import type { OpenAPIHono } from "@hono/zod-openapi";
import { API_VERSION } from "./app-info";
import type { AppEnv } from "./env";

/**
 * The OpenAPI document's own fields; `paths` and `components` come from the routes' definitions.
 * `servers` is the origin the document is read from.
 */
export function documentFields(origin: string) {
  return {
    openapi: "3.1.0",
    info: {
      title: "Identity & Training API",
      version: API_VERSION,
      description:
        'Identity, access control and training administration. Errors are `{detail, status: "error", code}`; validation errors are 422 with `detail` a list of `{loc, msg, type}`.',
    },
    servers: [{ url: origin }],
  };
}

/**
 * `GET /openapi.json`, generated from the routes' definitions at each request. This is what `npm run
 * dev` and the tests run; the deployed bundle (scripts/build.mjs) replaces this module with
 * `openapi-document.deployed.ts`, which serves the same document generated at build time, so that
 * the generator and every description stay out of the Worker's script.
 */
export function serveOpenApiDocument(app: OpenAPIHono<AppEnv>): void {
  app.get("/openapi.json", (c) => c.json(app.getOpenAPI31Document(documentFields(new URL(c.req.url).origin))));
}
