import { AsyncLocalStorage } from "node:async_hooks";
import { drizzle } from "drizzle-orm/d1";
import type { Db } from "./client";

/** The D1 binding of the prepared query running now (each request has its own: session, token check). */
const running = new AsyncLocalStorage<D1Database>();

function currentBinding(): D1Database {
  const d1 = running.getStore();
  if (!d1) throw new Error("a prepared query ran outside prepared()'s binding");
  return d1;
}

/**
 * What drizzle's prepared queries hold in place of a D1 statement: the SQL text, made a statement of
 * the running query's binding when it runs, so that one prepared query serves every request.
 */
class RoutedStatement {
  constructor(
    private readonly sql: string,
    private readonly params: unknown[] = [],
  ) {}
  bind(...params: unknown[]): RoutedStatement {
    return new RoutedStatement(this.sql, params);
  }
  private real(): D1PreparedStatement {
    return currentBinding()
      .prepare(this.sql)
      .bind(...this.params);
  }
  all() {
    return this.real().all();
  }
  raw(options?: { columnNames?: false }) {
    return this.real().raw(options);
  }
  first(column?: string) {
    return column === undefined ? this.real().first() : this.real().first(column);
  }
  run() {
    return this.real().run();
  }
}

/** A drizzle client whose statements run on the binding of the prepared query in progress. */
const routed = drizzle({
  prepare: (sql: string) => new RoutedStatement(sql),
} as unknown as D1Database);

/**
 * A read prepared once per isolate: drizzle writes its SQL (and works out how its rows map) on first
 * use, instead of on every request, which is most of what a point read costs the Worker; each call
 * runs it on the binding of the `db` it is given (the request's own, with its token check and D1
 * session). Parameters are `sql.placeholder("name")`s, given when it runs.
 *
 * @example
 *   const byId = prepared((db) => db.select(columns).from(users).where(eq(users.id, sql.placeholder("id"))).prepare());
 *   const rows = await byId(deps.db).all({ id });
 */
export function prepared<Q extends object>(build: (db: Db) => Q): (db: Db) => Q {
  let query: Q | undefined;
  return (db) => {
    query ??= build(routed as unknown as Db);
    const binding = db.$client;
    const q = query;
    return new Proxy(q, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => running.run(binding, () => value.apply(target, args));
      },
    });
  };
}
