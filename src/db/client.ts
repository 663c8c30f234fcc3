import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

/** The drizzle client over the `DB` binding. */
export function dbOf(d1: D1Database) {
  return drizzle(d1, { schema });
}

export type Db = ReturnType<typeof dbOf>;
