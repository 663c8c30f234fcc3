// The "ceiling" Worker of `npm run bench`: bare Hono + jose doing the least each measured request
// needs, on the same D1 schema and data as the API. The API's figure divided by this one says how
// much of what is possible the API achieves.
//   GET /api/v1/hello                 a JSON body
//   GET /api/v1/auth/me               ES256 verification of the bearer token + one D1 point read
//   GET /api/v1/trainings?limit=20    one D1 batch: the page and the total
import { Hono } from "hono";
import { importJWK, jwtVerify } from "jose";

let key;
const app = new Hono();

app.get("/api/v1/hello", (c) => c.json({ message: "Hello, World!" }));

app.get("/api/v1/auth/me", async (c) => {
  const token = c.req.header("authorization")?.replace(/^Bearer /, "");
  if (!token) return c.json({ detail: "Not authenticated" }, 401);
  key ??= importJWK(JSON.parse(c.env.JWT_PUBLIC_KEY), "ES256");
  let sub;
  try {
    ({
      payload: { sub },
    } = await jwtVerify(token, await key, { algorithms: ["ES256"] }));
  } catch {
    return c.json({ detail: "Invalid token" }, 401);
  }
  const user = await c.env.DB.prepare(
    "SELECT id, username, email, full_name, is_active, created_at FROM users WHERE id = ?1",
  )
    .bind(Number(sub))
    .first();
  return user ? c.json(user) : c.json({ detail: "Not found" }, 404);
});

app.get("/api/v1/trainings", async (c) => {
  const limit = Math.min(Number(c.req.query("limit") ?? 20), 100);
  const [page, total] = await c.env.DB.batch([
    c.env.DB.prepare("SELECT * FROM trainings WHERE status = 'PUBLISHED' ORDER BY id LIMIT ?1").bind(limit),
    c.env.DB.prepare("SELECT count(*) AS total FROM trainings WHERE status = 'PUBLISHED'"),
  ]);
  return c.json({ trainings: page.results, total: total.results[0].total, limit, offset: 0 });
});

export default app;
