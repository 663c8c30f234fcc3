import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

/** The drizzle client over the `DB` binding. */
export function dbOf(d1: D1Database) {
  return drizzle(d1, { schema });
}

export type Db = ReturnType<typeof dbOf>;

/**
 * The database handles every service receives: raw D1 for conditional statements and `batch()`,
 * drizzle for reads, and the clock.
 *
 * @example
 *   await createTraining(storeOf(c.env.DB), c.var.auth, body)
 */
export interface Store {
  d1: D1Database;
  db: Db;
  now: () => Date;
}

/** A `Store` over the `DB` binding. */
export function storeOf(d1: D1Database): Store {
  return { d1, db: dbOf(d1), now: () => new Date() };
}
