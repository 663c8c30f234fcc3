import { AsyncLocalStorage } from "node:async_hooks";
import { Column, count, fillPlaceholders, is, SQL, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { Page } from "../lib/pagination";
import type { Db } from "./client";
import { type PageQuery, pageResult } from "./page";
import type { Statement } from "./statement";

/**
 * Where a prepared query runs: a request's drizzle client or, to spare a request that needs no other
 * drizzle query the client's construction, its D1 binding itself (`deps.d1`).
 */
export type Runner = Db | D1Database;

/** The D1 binding of a `Runner`. */
const bindingOf = (runner: Runner): D1Database => ("$client" in runner ? runner.$client : runner);

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
 * A read by a primary or unique key has no `.limit(1)`: the key already allows one row, and drizzle
 * binds the limit as a parameter, which made the user view's point read (`GET /auth/me`) 13% slower
 * in workerd's SQLite (the same statement with `LIMIT ?` and without, served side by side).
 *
 * @example
 *   const byId = prepared((db) => db.select(columns).from(users).where(eq(users.id, sql.placeholder("id"))).prepare());
 *   const rows = await byId(deps.db).all({ id });
 */
export function prepared<Q extends object>(build: (db: Db) => Q): (runner: Runner) => Q {
  let query: Q | undefined;
  return (runner) => {
    query ??= build(routed as unknown as Db);
    const binding = bindingOf(runner);
    const q = query;
    return new Proxy(q, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (typeof value !== "function") return value;
        // `all()` and `get()` of a selection `rowMapper` can map: the query as a statement of the
        // binding (`preparedStatement`), its rows mapped by the compiled mapper, instead of drizzle's
        // execution through `running`.
        if ((prop === "all" || prop === "get") && rowMapper(target as unknown as BatchablePrepared)) {
          return async (values: Record<string, unknown> = {}) => {
            const read = preparedStatement(target, binding, values);
            const rows = read.rows((await read.statement.all()).results);
            return prop === "all" ? rows : rows[0];
          };
        }
        return (...args: unknown[]) => running.run(binding, () => value.apply(target, args));
      },
    });
  };
}

/** What the batch of prepared queries needs of drizzle's prepared query (as its own `batch()` uses it). */
interface BatchablePrepared {
  getQuery(): { sql: string; params: unknown[] };
  mapResult(result: unknown, isFromBatch?: boolean): unknown;
  /** The selection, key path and field (what drizzle's own row mapping reads). */
  fields?: { path: string[]; field: unknown }[];
  joinsNotNullableMap?: unknown;
}

/** A prepared query's rows from D1's row objects, mapped as drizzle maps them. */
type RowMapper = (rows: Record<string, unknown>[]) => unknown[];

/**
 * The row mapping of a flat selection (every field a column, or SQL aliased with `.as()`), compiled
 * once per query: each field read from D1's row object by its result column name and decoded as
 * drizzle decodes it (a column's `mapFromDriverValue`, an SQL field's `mapWith()` decoder; null stays
 * null). This is what drizzle's `mapResultRow` does, without its type checks on every cell. Null for
 * any other selection (nested objects, joins selecting one name twice, unaliased SQL), which drizzle
 * maps itself.
 */
function rowMapper(q: BatchablePrepared): RowMapper | null {
  let mapper = mappers.get(q);
  if (mapper === undefined) {
    mapper = compileRowMapper(q);
    mappers.set(q, mapper);
  }
  return mapper;
}
const mappers = new WeakMap<BatchablePrepared, RowMapper | null>();

function compileRowMapper(q: BatchablePrepared): RowMapper | null {
  if (!Array.isArray(q.fields) || (q as { customResultMapper?: unknown }).customResultMapper) return null;
  const plan: { key: string; source: string; decode: ((value: unknown) => unknown) | null }[] = [];
  for (const { path, field } of q.fields) {
    const key = path[0];
    if (path.length !== 1 || key === undefined) return null;
    if (is(field, Column)) {
      const decodes = field.mapFromDriverValue !== Column.prototype.mapFromDriverValue;
      plan.push({ key, source: field.name, decode: decodes ? (v) => field.mapFromDriverValue(v) : null });
    } else if (is(field, SQL.Aliased)) {
      // drizzle's own field (internal in its types): the `mapWith()` decoder, or one that decodes nothing.
      const { decoder } = field.sql as unknown as { decoder: { mapFromDriverValue(value: unknown): unknown } };
      plan.push({ key, source: field.fieldAlias, decode: (v) => decoder.mapFromDriverValue(v) });
    } else {
      return null;
    }
  }
  if (new Set(plan.map((f) => f.source)).size !== plan.length) return null;
  return (rows) =>
    rows.map((row) => {
      const out: Record<string, unknown> = {};
      for (const { key, source, decode } of plan) {
        const value = row[source] ?? null;
        out[key] = value === null || decode === null ? value : decode(value);
      }
      return out;
    });
}

/**
 * Whether drizzle's row mapping would give back D1's rows as they are: one table, every field a
 * column selected under its own name and read as stored (no boolean, timestamp or JSON mode). The
 * rows of such a query are then used as D1 answers them, instead of being rebuilt cell by cell.
 */
function rowsAsStored(q: BatchablePrepared): boolean {
  let answer = asStored.get(q);
  if (answer === undefined) {
    answer =
      q.joinsNotNullableMap === undefined &&
      Array.isArray(q.fields) &&
      q.fields.every(
        ({ path, field }) =>
          path.length === 1 &&
          is(field, Column) &&
          field.name === path[0] &&
          field.mapFromDriverValue === Column.prototype.mapFromDriverValue,
      );
    asStored.set(q, answer);
  }
  return answer;
}
const asStored = new WeakMap<BatchablePrepared, boolean>();

/**
 * Runs prepared queries (of `prepared()`) as one `batch()` on `db`'s binding, with `values` for
 * their placeholders: one round trip, each query's rows mapped as drizzle maps them.
 */
export async function batchPrepared<const Q extends readonly object[]>(
  runner: Runner,
  queries: Q,
  values: Record<string, unknown>,
): Promise<unknown[][]> {
  const d1 = bindingOf(runner);
  const statements = queries.map((q) => {
    const { sql, params } = (q as unknown as BatchablePrepared).getQuery();
    return d1.prepare(sql).bind(...fillPlaceholders(params, values));
  });
  const results = await d1.batch(statements);
  return results.map((r, i) => rowsOf(queries[i] as unknown as BatchablePrepared, r.results));
}

/** A prepared query's rows from the results of its statement, mapped as drizzle maps them. */
function rowsOf(q: BatchablePrepared, results: unknown[]): unknown[] {
  if (rowsAsStored(q)) return results;
  const map = rowMapper(q);
  return map ? map(results as Record<string, unknown>[]) : (q.mapResult({ results }, true) as unknown[]);
}

/** Filters as a list receives them: each either given or `undefined`. */
type Filters = Record<string, unknown>;

/**
 * A list read through a page query and a count query prepared once per isolate for each combination
 * of filters a request gives (its "shape": `?category=` alone, `?category=&level=`, none, ...).
 * `build` gets the filters of the first request of a shape, to see which are given, and writes the
 * list with `sql.placeholder(name)` for each filter's value (`limit` and `offset` are added);
 * `values` are the placeholders' values for a request (by default its filters).
 *
 * @example
 *   const page = preparedPage((f: Filters) => ({ from: trainings, columns, orderBy: trainings.id,
 *     where: and(f.level ? eq(trainings.level, sql.placeholder("level")) : undefined) }));
 *   const { rows, total } = await page<TrainingView>(db, filters, page);
 */
export function preparedPage<F extends Filters>(build: (given: F) => PageQuery) {
  const shapes = new Map<string, readonly [object, object]>();
  return async <Row>(
    db: Runner,
    filters: F,
    page: Page,
    values: Filters = filters,
  ): Promise<{ rows: Row[]; total: number }> => {
    const shape = Object.keys(filters)
      .filter((k) => filters[k] !== undefined)
      .sort()
      .join(",");
    let queries = shapes.get(shape);
    if (!queries) {
      const q = build(filters);
      const r = routed as unknown as Db;
      queries = [
        r
          .select(q.columns)
          .from(q.from)
          .where(q.where)
          .orderBy(q.orderBy)
          .limit(sql.placeholder("limit"))
          .offset(sql.placeholder("offset"))
          .prepare(),
        r.select({ n: count() }).from(q.from).where(q.where).prepare(),
      ] as const;
      shapes.set(shape, queries);
    }
    const [rows, totals] = await batchPrepared(db, queries, { ...values, limit: page.limit, offset: page.skip });
    return pageResult<Row>(rows ?? [], (totals ?? []) as { n: number }[]);
  };
}

/**
 * A prepared query (of `prepared()`) as one statement of a caller's own batch on `d1`, with `values`
 * for its placeholders; `rows()` maps the rows that statement returned as drizzle maps them.
 */
export function preparedStatement(query: object, d1: D1Database, values: Record<string, unknown>) {
  const q = query as unknown as BatchablePrepared;
  const { sql: text, params } = q.getQuery();
  return {
    statement: d1.prepare(text).bind(...fillPlaceholders(params, values)) as Statement,
    rows: (results: unknown[]): unknown[] => rowsOf(q, results),
  };
}
