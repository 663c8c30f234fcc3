import * as z from "zod/mini";
import { doc } from "./openapi";

/**
 * Query parameters of every list endpoint: `skip` (or its synonym `offset`) and `limit` (1..1000,
 * default 100). Extend it with a list's own filters: `paginationQuery.extend({...})`.
 */
export const paginationQuery = z.object({
  skip: doc(z.optional(z.coerce.number().check(z.int(), z.gte(0))), {
    description: "Items to skip (default 0)",
    example: 0,
  }),
  offset: doc(z.optional(z.coerce.number().check(z.int(), z.gte(0))), { description: "Synonym of `skip`" }),
  limit: doc(z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(1000)), 100), {
    description: "Items to return (default 100, at most 1000)",
    example: 100,
  }),
});

export interface Page {
  skip: number;
  limit: number;
}

/** Resolves `skip`/`offset`/`limit` into one page. */
export function pageOf(q: { skip?: number | undefined; offset?: number | undefined; limit: number }): Page {
  return { skip: q.skip ?? q.offset ?? 0, limit: q.limit };
}

/** The list envelope fields other than the items: `{total, skip, limit}`. */
export const pageFields = {
  total: doc(z.int(), { example: 150 }),
  skip: doc(z.int(), { example: 0 }),
  limit: doc(z.int(), { example: 100 }),
};

/**
 * A list envelope: `{<plural>: [...], total, skip, limit}`.
 *
 * @example
 *   return c.json(listOf("users", rows, total, page), 200)
 */
export function listOf<K extends string, T>(
  key: K,
  items: T[],
  total: number,
  page: Page,
): { [P in K]: T[] } & { total: number; skip: number; limit: number } {
  return { [key]: items, total, skip: page.skip, limit: page.limit } as { [P in K]: T[] } & {
    total: number;
    skip: number;
    limit: number;
  };
}
