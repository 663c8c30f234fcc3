import { sql } from "drizzle-orm";
import { integer, text } from "drizzle-orm/sqlite-core";

/** ISO 8601 UTC timestamp with milliseconds and `Z`, as SQLite text, e.g. `2026-11-23T10:00:00.000Z`. */
export const NOW_ISO = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/** `created_at` / `updated_at` columns shared by every table that has them. */
export const timestamps = {
  createdAt: text("created_at").notNull().default(NOW_ISO),
  updatedAt: text("updated_at").notNull().default(NOW_ISO),
};

/** A boolean column stored as 0/1. */
export const bool = (name: string) => integer(name, { mode: "boolean" });
