import { sql as drizzleSql, type SQL } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { withParameterLimit } from "../src/db/parameter-limit";
import { systemClock } from "../src/lib/clock";
import { configOf } from "../src/lib/config";
import { depsOf } from "../src/middleware/deps";
import { fixtureAdmin } from "./access-fixtures";
import { body, env } from "./helpers";

/** Production D1 refuses a statement with more than this many bound parameters; local D1 does not. */
const D1_MAX_BOUND_PARAMETERS = 100;

/** A D1 binding that refuses what production refuses: more than 100 bound parameters in one statement. */
const productionLimits = (db: D1Database): D1Database => withParameterLimit(db, D1_MAX_BOUND_PARAMETERS);

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

  it("holds every statement of every test run to the limit: the requests' D1 binding refuses 101 parameters", async () => {
    expect(configOf(env).d1MaxBoundParameters).toBe(100);
    const { d1, db } = depsOf(env, systemClock);
    const params = Array.from({ length: 101 }, (_, i) => i);
    const sql = `SELECT ${params.map((i) => `?${i + 1}`).join(" + ")} AS n`;
    expect(() => d1.prepare(sql).bind(...params)).toThrow(/too many SQL variables/);
    const viaDrizzle = await db.run(sqlOf(params)).then(
      () => "ran",
      (err: Error) => String(err.cause ?? err),
    );
    expect(viaDrizzle).toMatch(/too many SQL variables/);
    const hundred = params.slice(0, 100);
    const ok = await d1
      .prepare(`SELECT ${hundred.map((i) => `?${i + 1}`).join(" + ")} AS n`)
      .bind(...hundred)
      .first<{ n: number }>();
    expect(ok?.n).toBe(4950);
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

/** `SELECT p1 + p2 + ...` with every value bound as its own parameter, through drizzle. */
function sqlOf(values: readonly number[]): SQL {
  return drizzleSql`SELECT ${drizzleSql.join(
    values.map((v) => drizzleSql`${v}`),
    drizzleSql` + `,
  )} AS n`;
}
