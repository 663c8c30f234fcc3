import { type Statement, statement } from "./statement";

/** Domain events delivered to webhooks. */
export type DomainEvent = "user.registered" | "training.created" | "registration.completed" | "report.generated";

export interface OutboxOptions {
  /** When the event happened (the request's clock), as stored. */
  at: string;
  /**
   * Payload fields whose value SQL computes inside the batch, such as an id inserted by an earlier
   * statement: `{ "$.data.training_id": "last_insert_rowid()" }`.
   */
  fill?: Record<string, string>;
  /** A condition (SQL) under which the event is recorded, e.g. that a conditional UPDATE will win. */
  when?: string;
  /** Values for `?3`, `?4`, ... in `fill` and `when` (`?1` is the payload, `?2` the time). */
  params?: unknown[];
}

/**
 * The statement that records a domain event `{event, timestamp, data}` in the transactional outbox.
 * Put it in the same batch as the write it describes, so the event exists exactly when the change
 * does; `fill` and `when` let it depend on what earlier statements of the batch did.
 *
 * @example
 *   runBatch(d1, [insertTraining, outboxStatement(d1, "training.created", { title }, { at, fill: { "$.data.training_id": "last_insert_rowid()" } })])
 */
export function outboxStatement(
  d1: D1Database,
  event: DomainEvent,
  data: Record<string, unknown>,
  options: OutboxOptions,
): Statement {
  const payload = JSON.stringify({ event, timestamp: options.at, data });
  let payloadSql = "?1";
  for (const [path, expr] of Object.entries(options.fill ?? {})) {
    if (!/^\$(\.[a-z_]+)+$/.test(path)) throw new Error(`bad JSON path ${path}`);
    payloadSql = `json_set(${payloadSql}, '${path}', ${expr})`;
  }
  const where = options.when ? ` WHERE ${options.when}` : "";
  return statement(
    d1,
    `INSERT INTO outbox_events (event, payload, created_at) SELECT '${event}', ${payloadSql}, ?2${where}`,
    payload,
    options.at,
    ...(options.params ?? []),
  );
}
