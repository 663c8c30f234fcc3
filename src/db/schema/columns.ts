import { sql } from "drizzle-orm";
import { integer, text } from "drizzle-orm/sqlite-core";

/** SQLite expression for now as ISO 8601 UTC with milliseconds and `Z`, e.g. `2026-11-23T10:00:00.000Z`. */
export const NOW_SQL = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/** `NOW_SQL` as a drizzle default. */
export const NOW_ISO = sql.raw(`(${NOW_SQL})`);

/** `created_at` / `updated_at` columns shared by every table that has them. */
export const timestamps = {
  createdAt: text("created_at").notNull().default(NOW_ISO),
  updatedAt: text("updated_at").notNull().default(NOW_ISO),
};

/** A boolean column stored as 0/1. */
export const bool = (name: string) => integer(name, { mode: "boolean" });
