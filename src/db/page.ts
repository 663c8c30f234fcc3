import { count, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Page } from "../lib/pagination";
import type { Db } from "./client";

/** What a list reads: the columns of its rows, from a table, filtered and ordered. */
export interface PageQuery {
  from: SQLiteTable;
  // biome-ignore lint/suspicious/noExplicitAny: drizzle's selection map is typed per table.
  columns: Record<string, any>;
  where: SQL | undefined;
  orderBy: SQLiteColumn | SQL;
}

/** The page query and its count query, for a caller that batches them with more. */
export function pageStatements(db: Db, q: PageQuery, page: Page) {
  return [
    db.select(q.columns).from(q.from).where(q.where).orderBy(q.orderBy).limit(page.limit).offset(page.skip),
    db.select({ n: count() }).from(q.from).where(q.where),
  ] as const;
}

/** A page's rows and the total of the list, from the results of `pageStatements()`. */
export function pageResult<Row>(rows: unknown[], totals: { n: number }[]): { rows: Row[]; total: number } {
  return { rows: rows as Row[], total: totals[0]?.n ?? 0 };
}

/**
 * The one way to read a list: a page of rows and the list's total, in one round trip.
 *
 * @example
 *   const { rows, total } = await findPage<TrainingView>(deps.db, { from: trainings, columns, where, orderBy: trainings.id }, page)
 */
export async function findPage<Row>(db: Db, q: PageQuery, page: Page): Promise<{ rows: Row[]; total: number }> {
  const [rows, totals] = await db.batch(pageStatements(db, q, page));
  return pageResult<Row>(rows, totals);
}
