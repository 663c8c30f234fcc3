import type { Context } from "hono";
import { type Db, dbOf } from "../../db/client";
import type { AppEnv } from "../../env";

/** Database handles for the access-management services: raw D1 for batches, drizzle for reads. */
export interface StoreDeps {
  d1: D1Database;
  db: Db;
}

/** The access-management services' dependencies, built from the request's bindings. */
export function storeDeps(c: Context<AppEnv>): StoreDeps & { pepper: string } {
  return { d1: c.env.DB, db: dbOf(c.env.DB), pepper: c.env.PASSWORD_PEPPER };
}
