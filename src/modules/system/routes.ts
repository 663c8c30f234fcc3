import * as z from "zod/mini";
import { API_PREFIX, API_VERSION } from "../../app-info";
import { json, named } from "../../lib/openapi";
import { createRouter, publicRoute } from "../../middleware/route";
import { checkHealth } from "./health";

const BannerSchema = named(z.object({ message: z.string(), version: z.string() }), "Banner");
const HealthSchema = named(
  z.object({
    status: z.enum(["healthy", "unhealthy"]),
    database: z.enum(["healthy", "unhealthy"]),
    kv: z.enum(["healthy", "unhealthy"]),
    detail: z.optional(z.string()),
    code: z.optional(z.string()),
  }),
  "Health",
);

/** `GET /`, `GET /api/v1/hello`, `GET /api/v1/health`: public, no authentication. */
export const systemRoutes = createRouter()
  .openapi(
    publicRoute({
      method: "get",
      path: "/",
      tags: ["System"],
      summary: "Banner",
      responses: { 200: json(BannerSchema, "The API is running") },
    }),
    (c) => c.json({ message: "Identity & Training API is running", version: API_VERSION }, 200),
  )
  .openapi(
    publicRoute({
      method: "get",
      path: `${API_PREFIX}/hello`,
      tags: ["System"],
      summary: "Test endpoint (KC7)",
      responses: { 200: json(z.object({ message: z.string() }), "A greeting") },
    }),
    (c) => c.json({ message: "Hello, World!" }, 200),
  )
  .openapi(
    publicRoute({
      method: "get",
      path: `${API_PREFIX}/health`,
      tags: ["System"],
      summary: "Health of the API and its dependencies",
      responses: {
        200: json(HealthSchema, "Every dependency answers"),
        503: json(HealthSchema, "A dependency is down; the failing part is named"),
      },
    }),
    async (c) => {
      const health = await checkHealth(c.env.DB, c.env.RATE_LIMIT_KV);
      if (health.status === "healthy") return c.json(health, 200);
      const down = [health.database === "unhealthy" && "database", health.kv === "unhealthy" && "kv"].filter(Boolean);
      return c.json({ ...health, detail: `Unavailable: ${down.join(", ")}`, code: "SERVICE_UNAVAILABLE" }, 503, {
        "Cache-Control": "no-store",
      });
    },
  );
