import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { fixtureAdmin } from "./access-fixtures";
import { body, env } from "./helpers";

/** Production D1 refuses a statement with more than this many bound parameters; local D1 does not. */
const D1_MAX_BOUND_PARAMETERS = 100;

/** A D1 binding that refuses what production refuses: more than 100 bound parameters in one statement. */
function productionLimits(db: D1Database): D1Database {
  const limitBind = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (prop !== "bind" || typeof value !== "function")
          return typeof value === "function" ? value.bind(target) : value;
        return (...params: unknown[]) => {
          if (params.length > D1_MAX_BOUND_PARAMETERS) throw new Error(`too many SQL variables (${params.length})`);
          return limitBind(value.apply(target, params));
        };
      },
    });
  return new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (prop === "prepare") return (query: string) => limitBind(target.prepare(query));
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const request = (method: string, path: string, token: string, json?: unknown) =>
  app.request(
    `https://api.example.test${path}`,
    {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(json ? { "Content-Type": "application/json" } : {}) },
      body: json ? JSON.stringify(json) : undefined,
    },
    { ...env, DB: productionLimits(env.DB) },
  );

describe("D1's limit of 100 bound parameters a statement", () => {
  it("refuses a statement with more than 100 parameters in the wrapper itself", () => {
    const db = productionLimits(env.DB);
    expect(() => db.prepare("SELECT 1").bind(...Array.from({ length: 101 }, () => 1))).toThrow(
      /too many SQL variables/,
    );
  });

  it("creates a role from a list of 150 permission ids in statements under the limit", async () => {
    const { token } = await fixtureAdmin();
    const list = await body(await request("GET", "/api/v1/permissions?limit=1000", token));
    const known = (list.permissions as { id: number; organization_id: number | null }[])
      .filter((p) => p.organization_id === null)
      .map((p) => p.id);
    const unknownIds = Array.from({ length: 150 - known.length }, (_, i) => 900_000 + i);
    const res = await request("POST", "/api/v1/roles", token, {
      name: `many-${Date.now()}`,
      permission_ids: [...known, ...unknownIds],
    });
    expect(res.status).toBe(404);
    expect((await body(res)).code).toBe("PERMISSION_NOT_FOUND");
  });
});
