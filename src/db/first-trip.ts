import { HttpErrors } from "../lib/errors";

/**
 * A request's D1 binding whose first round trip also checks the caller's token, so that an
 * authenticated request spends no round trip of its own on authentication: the check's `read`
 * (and, when the batch writes, its `guard`, which fails the whole batch when the token is no longer valid)
 * go first in the same `batch()` as the request's first statements, and `verify` judges the read
 * before any of those statements' results is handed back. Until that first trip has settled, later
 * calls wait for it, so nothing runs unchecked; a request that never reaches D1 is checked by
 * `settle()` at its end.
 */
export interface FirstTripCheck {
  /** A read whose rows `verify` judges. */
  read: D1PreparedStatement;
  /** A guard statement (see `guardStatement`) that fails its batch when the check would fail (built only for a batch that writes). */
  guard(): D1PreparedStatement;
  /** The mark of `guard`'s failure. */
  guardMark: string;
  /** Throws the request's error when the rows of `read` say the token is no longer good. */
  verify(rows: Record<string, unknown>[]): void;
}

/** How a statement of a checked binding gives up the statement it wraps (see `unwrapStatement`). */
const WRAPPED = Symbol("first-trip.wrapped");

/**
 * The statement the bindings under a checked one see: what to remember when a binding below needs
 * to recognise a statement in a batch (the outbox tap does).
 */
export function unwrapStatement<S extends object>(stmt: S): S {
  return ((stmt as { [WRAPPED]?: S })[WRAPPED] ?? stmt) as S;
}

export interface CheckedD1 {
  d1: D1Database;
  /** Runs the check now if no statement has carried it yet (its error rejects). */
  settle(): Promise<void>;
}

/**
 * Single-table reads (no JOIN) or joins whose selected column names are all distinct can be answered
 * from a batch (whose rows are objects keyed by column name) as `raw()` arrays; a join selecting two
 * columns of one name can't, so such a statement runs after the check instead of with it. Judged once
 * per query text (the texts come from the code, so there are few).
 */
function rawIsSafe(sql: string): boolean {
  let safe = rawSafety.get(sql);
  if (safe === undefined) {
    safe = true;
    if (/\bjoin\b/i.test(sql)) {
      const head = sql.slice(0, sql.search(/\bfrom\b/i));
      const names = [...head.matchAll(/"([^"]+)"\s*(?:,|$)|\bas\s+"([^"]+)"/gi)].map((m) => m[2] ?? m[1]);
      safe = new Set(names).size === names.length;
    }
    if (rawSafety.size >= 1000) rawSafety.clear();
    rawSafety.set(sql, safe);
  }
  return safe;
}
const rawSafety = new Map<string, boolean>();

/** A statement that only reads (a plain SELECT): a batch of such needs no guard. */
const READ_ONLY = /^\s*select\b/i;

export function withFirstTrip(base: D1Database, check: FirstTripCheck): CheckedD1 {
  let first: Promise<unknown> | null = null;

  /** Runs `statements` with the check, or (once the check is under way) after it. */
  async function trip(statements: D1PreparedStatement[]): Promise<D1Result[]> {
    // The bindings under this one get their own statements back (see `unwrapStatement`).
    const real = statements.map(unwrapStatement);
    if (first) {
      await first;
      return base.batch(real);
    }
    // Reads need no guard: their rows are judged before they are handed back. A batch that writes
    // is led by the guard, which fails (and so rolls back) the whole batch for a dead token.
    const writes = statements.some((stmt) => !reads.has(stmt));
    const withCheck = (async () => {
      try {
        const results = await base.batch(writes ? [check.read, check.guard(), ...real] : [check.read, ...real]);
        check.verify((results[0]?.results ?? []) as Record<string, unknown>[]);
        return results.slice(writes ? 2 : 1);
      } catch (err) {
        if (!String(err).includes(`${check.guardMark}:`)) {
          // The batch failed for a reason of its own (a guard or constraint of the route's): nothing
          // of it ran, the token check included, so the request's next trip carries the check again.
          first = null;
          throw err;
        }
        // The guard refused: read again to answer with the precise reason.
        const [head] = await base.batch([check.read]);
        check.verify((head?.results ?? []) as Record<string, unknown>[]);
        throw HttpErrors.INVALID_TOKEN("Session is no longer valid");
      }
    })();
    first = withCheck;
    return withCheck;
  }

  async function settle(): Promise<void> {
    if (first) {
      await first;
      return;
    }
    first = (async () => {
      const [head] = await base.batch([check.read]);
      check.verify((head?.results ?? []) as Record<string, unknown>[]);
    })();
    await first;
  }

  /** The wrapped statements that only read (see `READ_ONLY`); any other statement counts as a write. */
  const reads = new WeakSet<D1PreparedStatement>();
  const wrapStatement = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const proxy: D1PreparedStatement = new Proxy(stmt, {
      get(target, prop) {
        if (prop === WRAPPED) return target;
        const value = Reflect.get(target, prop);
        if (typeof value !== "function") return value;
        switch (prop) {
          case "bind":
            return (...params: unknown[]) => wrapStatement(value.apply(target, params), sql);
          case "all":
          case "run":
            return async () => (await trip([proxy]))[0];
          case "first":
            return async (column?: string) => {
              const [result] = await trip([proxy]);
              const row = (result?.results?.[0] ?? null) as Record<string, unknown> | null;
              if (row === null || column === undefined) return row;
              return row[column] ?? null;
            };
          case "raw":
            return async (options?: { columnNames?: boolean }) => {
              if (first || !rawIsSafe(sql)) {
                if (!first) await settle();
                else await first;
                return value.call(target, options);
              }
              const [result] = await trip([proxy]);
              const rows = (result?.results ?? []) as Record<string, unknown>[];
              const arrays = rows.map((r) => Object.values(r));
              return options?.columnNames ? [Object.keys(rows[0] ?? {}), ...arrays] : arrays;
            };
          default:
            return value.bind(target);
        }
      },
    });
    if (READ_ONLY.test(sql)) reads.add(proxy);
    return proxy;
  };

  const d1 = new Proxy(base, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (prop === "prepare") return (query: string) => wrapStatement(target.prepare(query), query);
      if (prop === "batch") return (statements: D1PreparedStatement[]) => trip(statements);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { d1, settle };
}
