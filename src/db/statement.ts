import { type AppError, errorChainMessage } from "../lib/errors";

declare const rowType: unique symbol;

/** A prepared D1 statement and the type of the rows it returns (`unknown` when nobody reads them). */
export type Statement<Row = unknown> = D1PreparedStatement & { readonly [rowType]?: Row };

/**
 * A statement with its parameters bound, typed by the rows it returns.
 *
 * @example
 *   export const deleteTrainingStatement = (d1: D1Database, id: number) =>
 *     statement<{ id: number }>(d1, "DELETE FROM trainings WHERE id = ?1 RETURNING id", id);
 */
export function statement<Row = never>(d1: D1Database, sql: string, ...params: unknown[]): Statement<Row> {
  return d1.prepare(sql).bind(...params) as Statement<Row>;
}

/**
 * A statement that fails, and so rolls back its whole batch, when `condition` (SQL over the bound
 * `params`) holds: how an invariant is checked inside the transaction that could break it. SQLite
 * has no RAISE outside triggers, so the failure is a JSON path error whose text carries `mark`;
 * `runBatch()` maps it through `ConstraintErrors.guards`.
 */
export function guardStatement(d1: D1Database, mark: string, condition: string, ...params: unknown[]): Statement {
  if (!/^[A-Z_]+$/.test(mark)) throw new Error(`bad guard mark ${mark}`);
  return statement(d1, `SELECT json_extract('{}', '${mark}:' || 1) WHERE ${condition}`, ...params);
}

/** What a constraint failure of a write means to the caller, as the module's own errors. */
export interface ConstraintErrors {
  /** A UNIQUE constraint failed; `name` is SQLite's name for it (`users.email`, `index 'users_email_unique'`). */
  unique?: (name: string) => AppError | Promise<AppError>;
  /** A FOREIGN KEY constraint failed: something referenced was deleted meanwhile. */
  foreignKey?: () => AppError | Promise<AppError>;
  /** A `guardStatement()` failed, by its mark. */
  guards?: Record<string, () => AppError>;
}

type RowsOf<S> = S extends Statement<infer Row> ? Row[] : never;

/**
 * Runs statements as one `batch()` (one round trip, one transaction: all apply or none), returning
 * each statement's rows. A constraint failure becomes the error `on` gives for it; one that `on`
 * does not name is rethrown (an unmapped UNIQUE failure renders as 409 CONFLICT).
 */
export async function runBatch<const S extends readonly Statement<unknown>[]>(
  d1: D1Database,
  statements: S,
  on: ConstraintErrors = {},
): Promise<{ -readonly [K in keyof S]: RowsOf<S[K]> }> {
  try {
    const results = await d1.batch(statements as unknown as D1PreparedStatement[]);
    return results.map((r) => r.results) as { -readonly [K in keyof S]: RowsOf<S[K]> };
  } catch (err) {
    throw (await constraintError(err, on)) ?? err;
  }
}

/** Runs one statement (a round trip of its own) and returns its rows; failures map as in `runBatch()`. */
export async function runOne<Row>(d1: D1Database, stmt: Statement<Row>, on: ConstraintErrors = {}): Promise<Row[]> {
  const [rows] = await runBatch(d1, [stmt], on);
  return rows as Row[];
}

/**
 * The single row a statement must have returned (an `INSERT ... RETURNING`): its absence is a bug,
 * answered as a 500.
 */
export function theRow<Row>(rows: readonly Row[], what: string): Row {
  const row = rows[0];
  if (row === undefined) throw new Error(`${what} returned no row`);
  return row;
}

async function constraintError(err: unknown, on: ConstraintErrors): Promise<AppError | undefined> {
  const message = errorChainMessage(err);
  const unique = /UNIQUE constraint failed: ([^\n:]+?)(?:: SQLITE_CONSTRAINT.*)?$/m.exec(message);
  if (unique && on.unique) return on.unique(unique[1]?.trim() ?? "");
  if (message.includes("FOREIGN KEY constraint failed") && on.foreignKey) return on.foreignKey();
  for (const [mark, error] of Object.entries(on.guards ?? {})) {
    if (message.includes(`'${mark}:`)) return error();
  }
  return undefined;
}

/**
 * `col = ?n, ...` for the defined entries of `values` (keys are column names), numbering parameters
 * from `firstParam`: the SET clause of a partial update.
 *
 * @example
 *   const set = assignments({ title: "x", credits: undefined }, 2); // { sql: "title = ?2", params: ["x"] }
 */
export function assignments(values: Record<string, unknown>, firstParam: number): { sql: string; params: unknown[] } {
  const entries = Object.entries(values).filter(([, v]) => v !== undefined);
  for (const [column] of entries) if (!/^[a-z_]+$/.test(column)) throw new Error(`bad column ${column}`);
  return {
    sql: entries.map(([column], i) => `${column} = ?${firstParam + i}`).join(", "),
    params: entries.map(([, v]) => (typeof v === "boolean" ? (v ? 1 : 0) : v)),
  };
}
