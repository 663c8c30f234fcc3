import { unwrapStatement } from "./first-trip";
import { type Statement, statement } from "./statement";

/** Domain events delivered to webhooks (contract, "Webhooks"). */
export type DomainEvent =
  | "user.registered"
  | "user.updated"
  | "user.deactivated"
  | "training.created"
  | "training.updated"
  | "training.deleted"
  | "registration.created"
  | "registration.cancelled"
  | "registration.completed"
  | "progress.updated"
  | "report.generated";

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
 * `when` for an event put directly AFTER a conditional write in the batch: recorded only when that
 * write changed a row (SQLite's `changes()` counts the previous statement's rows).
 */
export const AFTER_A_CHANGE = "changes() > 0";

/** An event as its outbox insert returns it: its id and the active endpoints subscribed to it (a JSON array of ids). */
export interface RecordedEvent {
  id: number;
  event: string;
  endpoint_ids: string;
}

/** SQL: the ids of the active webhook endpoints subscribed to the event named by `eventSql`. */
export const subscribedEndpointsSql = (eventSql: string) =>
  `SELECT e.id FROM webhook_endpoints e WHERE e.active = 1 AND EXISTS (SELECT 1 FROM json_each(e.events) WHERE json_each.value = ${eventSql})`;

/** Outbox inserts, recognised by `tapOutbox()` in a batch's results. */
const outboxStatements = new WeakSet<object>();

/**
 * The statement that records a domain event `{event, timestamp, data}` in the transactional outbox.
 * Put it in the same batch as the write it describes, so the event exists exactly when the change
 * does; `fill` and `when` let it depend on what earlier statements of the batch did. It returns the
 * event's id and its subscribed endpoints (read in the same statement), which is what lets a request
 * dispatch its events after the response without another round trip (`tapOutbox()`); an event
 * nobody subscribes to is stored as dispatched already.
 *
 * @example
 *   runBatch(d1, [insertTraining, outboxStatement(d1, "training.created", { title }, { at, fill: { "$.data.training_id": "last_insert_rowid()" } })])
 */
export function outboxStatement(
  d1: D1Database,
  event: DomainEvent,
  data: Record<string, unknown>,
  options: OutboxOptions,
): Statement<RecordedEvent> {
  const payload = JSON.stringify({ event, timestamp: options.at, data });
  let payloadSql = "?1";
  for (const [path, expr] of Object.entries(options.fill ?? {})) {
    if (!/^\$(\.[a-z_]+)+$/.test(path)) throw new Error(`bad JSON path ${path}`);
    payloadSql = `json_set(${payloadSql}, '${path}', ${expr})`;
  }
  const where = options.when ? ` WHERE ${options.when}` : "";
  const stmt = statement<RecordedEvent>(
    d1,
    `INSERT INTO outbox_events (event, payload, created_at, dispatched_at, endpoint_ids)
     SELECT '${event}', ${payloadSql}, ?2, CASE WHEN EXISTS (${subscribedEndpointsSql(`'${event}'`)}) THEN NULL ELSE ?2 END,
            (SELECT json_group_array(s.id) FROM (${subscribedEndpointsSql(`'${event}'`)}) s)${where}
     RETURNING id, event, endpoint_ids`,
    payload,
    options.at,
    ...(options.params ?? []),
  );
  // The statement the D1 binding under a request's checked one receives (`withFirstTrip`).
  outboxStatements.add(unwrapStatement(stmt));
  return stmt;
}

/**
 * `d1` that also collects into `sink` the events each of its batches recorded with
 * `outboxStatement()`: the request's own events, known without reading them back.
 */
export function tapOutbox(d1: D1Database, sink: RecordedEvent[]): D1Database {
  return new Proxy(d1, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (prop !== "batch") return typeof value === "function" ? value.bind(target) : value;
      return async (statements: D1PreparedStatement[]) => {
        const results = await target.batch(statements);
        statements.forEach((s, i) => {
          if (outboxStatements.has(s)) sink.push(...((results[i]?.results ?? []) as RecordedEvent[]));
        });
        return results;
      };
    },
  });
}
