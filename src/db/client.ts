import { drizzle } from "drizzle-orm/d1";

/**
 * How the database is reached, one rule for every module:
 * - only repositories (`modules/<domain>/*-repository.ts` and the shared ones in `db/`) hold SQL;
 * - reads go through drizzle (`deps.db`); a page of a list through `findPage()` (`db/page.ts`);
 * - statements that must join a `batch()` or carry a condition are named `...Statement()` builders
 *   returning a typed `Statement<Row>` (`db/statement.ts`);
 * - every such statement runs through `runBatch()` / `runOne()`, where constraint failures become the
 *   module's own error codes, in one place.
 */
export function dbOf(d1: D1Database) {
  let db = clients.get(d1);
  if (!db) {
    // Without the schema: the relational query API (`db.query`) is not used, and building its
    // config costs about 0.3 ms per client, which a request's own checked binding would pay.
    db = drizzle(d1);
    clients.set(d1, db);
  }
  return db;
}

const clients = new WeakMap<D1Database, ReturnType<typeof drizzle>>();

export type Db = ReturnType<typeof dbOf>;
