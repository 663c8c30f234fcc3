import { and, desc, eq, gte, lt, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { findPage } from "../../db/page";
import { authEvents } from "../../db/schema";
import { type UserRef, userRefSql } from "../../db/sql";
import { type Statement, statement } from "../../db/statement";
import type { Page } from "../../lib/pagination";
import type { RequestMeta } from "../../middleware/deps";

/** One security event of the audit trail (`auth_events`). */
export interface AuditEvent {
  event: string;
  /** Who it is about (null: an unknown account, such as a failed login for a name nobody has). */
  user: UserRef | null;
  meta: RequestMeta;
  /** What happened, never a secret (no token, password or key). */
  detail?: string | undefined;
  at: string;
}

/**
 * Records a security event; a statement, so that it joins the batch of the change it records.
 * `onlyIf` (SQL over parameters `?7`, `?8`, ...) records it only when the batch's write won.
 *
 * @example
 *   runBatch(d1, [...writes, auditStatement(d1, { event: "logout", user: userId, meta: deps.meta, at })])
 */
export function auditStatement(d1: D1Database, e: AuditEvent, onlyIf?: { sql: string; params: unknown[] }): Statement {
  const ref = e.user === null ? { sql: "?1", value: null } : userRefSql(e.user, 1);
  return statement(
    d1,
    `INSERT INTO auth_events (user_id, event, ip, user_agent, detail, created_at)
     SELECT ${ref.sql}, ?2, ?3, ?4, ?5, ?6${onlyIf ? ` WHERE ${onlyIf.sql}` : ""}`,
    ref.value,
    e.event,
    e.meta.ip,
    e.meta.userAgent,
    e.detail ?? null,
    e.at,
    ...(onlyIf?.params ?? []),
  );
}

/** A recorded security event, as listed. */
export interface AuditEventRow {
  id: number;
  event: string;
  user_id: number | null;
  ip: string | null;
  user_agent: string | null;
  detail: string | null;
  created_at: string;
}

/** Filters of the audit list; `from` inclusive, `before` exclusive (ISO times). */
export interface AuditFilter {
  userId?: number | undefined;
  event?: string | undefined;
  from?: string | undefined;
  before?: string | undefined;
}

/** A page of audit events, newest first, and their total. */
export function listAuditEvents(db: Db, filter: AuditFilter, page: Page) {
  const where: (SQL | undefined)[] = [
    filter.userId === undefined ? undefined : eq(authEvents.userId, filter.userId),
    filter.event === undefined ? undefined : eq(authEvents.event, filter.event),
    filter.from === undefined ? undefined : gte(authEvents.createdAt, filter.from),
    filter.before === undefined ? undefined : lt(authEvents.createdAt, filter.before),
  ];
  return findPage<AuditEventRow>(
    db,
    {
      from: authEvents,
      columns: {
        id: authEvents.id,
        event: authEvents.event,
        user_id: authEvents.userId,
        ip: authEvents.ip,
        user_agent: authEvents.userAgent,
        detail: authEvents.detail,
        created_at: authEvents.createdAt,
      },
      where: and(...where),
      orderBy: desc(authEvents.id),
    },
    page,
  );
}
