import type { Hono } from "hono";
import type { AppEnv } from "./env";

/** Where scripts/build.mjs writes the document, under `public/` (the static assets). */
const DOCUMENT_ASSET_PATH = "/docs-assets/openapi.json";

let document: Promise<Record<string, unknown>> | undefined;

/**
 * `GET /openapi.json` in the deployed bundle (scripts/build.mjs puts this module in place of
 * `openapi-document.ts`): the document generated at build time by that same module, read once per
 * isolate from the static assets, with `servers` set to the origin it is read from, as at source.
 */
export function serveOpenApiDocument(app: Hono<AppEnv>): void {
  app.get("/openapi.json", async (c) => {
    document ??= c.env.ASSETS.fetch(new URL(DOCUMENT_ASSET_PATH, c.req.url)).then((res) => {
      if (!res.ok) throw new Error(`${DOCUMENT_ASSET_PATH}: HTTP ${res.status}`);
      return res.json<Record<string, unknown>>();
    });
    document.catch(() => {
      document = undefined;
    });
    return c.json({ ...(await document), servers: [{ url: new URL(c.req.url).origin }] });
  });
}
