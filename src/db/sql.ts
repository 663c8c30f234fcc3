import { type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

/**
 * A case-insensitive "contains" filter on `column` (or SQL), with `%`, `_` and `\` in `text` matched
 * literally.
 *
 * @example
 *   where.push(containsText(users.username, filter.search))
 */
export function containsText(column: SQLiteColumn | SQL, text: string): SQL {
  return likeMatch(column, likePattern(text));
}

/** The LIKE pattern of `containsText()`: `text` in lower case, its `%`, `_` and `\\` escaped, between `%`s. */
export function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

/** `column` (lower-cased, NULL as empty) LIKE `pattern` (of `likePattern()`; a value or a placeholder). */
export function likeMatch(column: SQLiteColumn | SQL, pattern: string | SQLWrapper): SQL {
  return sql`lower(coalesce(${column}, '')) LIKE ${pattern} ESCAPE '\\'`;
}

/**
 * `column IN (ids)` with the ids bound as one JSON parameter: D1 allows 100 bound parameters a
 * statement, and a list of ids must not run into that.
 */
export function amongIds(column: SQLiteColumn, ids: readonly number[]): SQL {
  return sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`;
}

/** The ids of a JSON array aggregated by SQL (`json_group_array`), without nulls, ascending. */
export function jsonIds(json: string | null | undefined): number[] {
  if (!json) return [];
  return (JSON.parse(json) as (number | null)[]).filter((v): v is number => v !== null).sort((a, b) => a - b);
}

/** The values of a JSON array aggregated by SQL, without nulls, sorted. */
export function jsonStrings(json: string | null | undefined): string[] {
  if (!json) return [];
  return (JSON.parse(json) as (string | null)[]).filter((v): v is string => v !== null).sort();
}

/**
 * SQL for the id of the user whose username is bound at `?<param>`: how the statements of a batch
 * that inserts a user refer to it before its id is known.
 */
export const newUserIdSql = (param: number) => `(SELECT id FROM users WHERE lower(username) = lower(?${param}))`;

/** A user by id, or by username when the user is inserted in the same batch and has no id yet. */
export type UserRef = number | { username: string };

/** SQL for a user's id bound at `?<param>`, and the value to bind there. */
export function userRefSql(user: UserRef, param: number): { sql: string; value: number | string } {
  return typeof user === "number"
    ? { sql: `?${param}`, value: user }
    : { sql: newUserIdSql(param), value: user.username };
}
