import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { signedIn } from "./factories";
import { env } from "./helpers";

/**
 * Counts D1 round trips: each `first/all/run/raw` of a statement and each `batch()` is one network
 * round trip in production.
 */
function countingDb(db: D1Database) {
  const counter = { trips: 0 };
  const wrapStmt = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== "function") return value;
        if (prop === "bind") return (...args: unknown[]) => wrapStmt(value.apply(target, args));
        if (["first", "all", "run", "raw"].includes(String(prop))) {
          return (...args: unknown[]) => {
            counter.trips += 1;
            return value.apply(target, args);
          };
        }
        return value.bind(target);
      },
    });
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === "prepare") return (sql: string) => wrapStmt(target.prepare(sql));
      if (prop === "batch") {
        return (stmts: D1PreparedStatement[]) => {
          counter.trips += 1;
          return target.batch(stmts);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db: proxy, counter };
}

describe("D1 round trips", () => {
  it("GET /auth/me costs one round trip for identity and permissions plus one for the user view", async () => {
    const { token } = await signedIn("EMPLOYEE");
    // Warm the isolate (admin bootstrap runs once per isolate).
    await app.request("/api/v1/hello", {}, env);
    const { db, counter } = countingDb(env.DB);
    const res = await app.request(
      "/api/v1/auth/me",
      { headers: { Authorization: `Bearer ${token}` } },
      { ...env, DB: db },
    );
    expect(res.status).toBe(200);
    expect(counter.trips).toBe(2);
  });

  it("refuses a bad token without touching D1", async () => {
    await app.request("/api/v1/hello", {}, env);
    const { db, counter } = countingDb(env.DB);
    const res = await app.request(
      "/api/v1/auth/me",
      { headers: { Authorization: "Bearer not.a.token" } },
      { ...env, DB: db },
    );
    expect(res.status).toBe(401);
    expect(counter.trips).toBe(0);
  });
});
