import { and, count, desc, eq, gte, lt, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { findPage } from "../../db/page";
import { emails, reportDeliveries, reports, users } from "../../db/schema";
import { type Statement, statement } from "../../db/statement";
import type { Page } from "../../lib/pagination";

/** A stored report as read: `figures` still JSON text. */
export interface ReportRow {
  id: number;
  name: string;
  period_start: string;
  period_end: string;
  source: "on_demand" | "schedule";
  figures: string;
  content: string;
  created_by: number | null;
  created_at: string;
}

const reportColumns = {
  id: reports.id,
  name: reports.name,
  period_start: reports.periodStart,
  period_end: reports.periodEnd,
  source: reports.source,
  figures: reports.figures,
  content: reports.content,
  created_by: reports.createdBy,
  created_at: reports.createdAt,
};

/** The newest `limit` reports. */
export function newestReports(db: Db, limit: number): Promise<ReportRow[]> {
  return db.select(reportColumns).from(reports).orderBy(desc(reports.createdAt), desc(reports.id)).limit(limit);
}

/** A page of reports created in `[from, to)` (either bound optional), newest first, and the total. */
export function listReports(db: Db, created: { from?: string | undefined; to?: string | undefined }, page: Page) {
  const where: SQL | undefined = and(
    created.from ? gte(reports.createdAt, created.from) : undefined,
    created.to ? lt(reports.createdAt, created.to) : undefined,
  );
  return findPage<ReportRow>(db, { from: reports, columns: reportColumns, where, orderBy: desc(reports.id) }, page);
}

/** One report, or undefined. */
export async function findReport(db: Db, id: number): Promise<ReportRow | undefined> {
  const [row] = await db.select(reportColumns).from(reports).where(eq(reports.id, id)).limit(1);
  return row;
}

/** One delivery of a report, as `GET /reports/{id}` shows it. */
export interface DeliveryView {
  user_id: number;
  username: string;
  subject: string;
  status: "queued" | "sent" | "failed";
  sent_at: string | null;
}

/** A report, its newest `limit` deliveries and their total, in one batch. */
export async function findReportWithDeliveries(db: Db, id: number, limit: number) {
  const [found, deliveries, totals] = await db.batch([
    db.select(reportColumns).from(reports).where(eq(reports.id, id)).limit(1),
    db
      .select({
        user_id: reportDeliveries.userId,
        username: users.username,
        subject: reportDeliveries.subject,
        status: sql<DeliveryView["status"]>`coalesce(${emails.status}, 'queued')`,
        sent_at: emails.sentAt,
      })
      .from(reportDeliveries)
      .innerJoin(users, eq(users.id, reportDeliveries.userId))
      .leftJoin(emails, eq(emails.messageKey, reportDeliveries.messageKey))
      .where(eq(reportDeliveries.reportId, id))
      .orderBy(desc(reportDeliveries.createdAt), reportDeliveries.userId)
      .limit(limit),
    db.select({ n: count() }).from(reportDeliveries).where(eq(reportDeliveries.reportId, id)),
  ]);
  return {
    report: found[0] as ReportRow | undefined,
    deliveries: deliveries as DeliveryView[],
    total: totals[0]?.n ?? 0,
  };
}

/** The scheduled report of `period`, or undefined. */
export async function findScheduledReport(
  db: Db,
  period: { start: string; end: string },
): Promise<ReportRow | undefined> {
  const [row] = await db
    .select(reportColumns)
    .from(reports)
    .where(
      and(eq(reports.source, "schedule"), eq(reports.periodStart, period.start), eq(reports.periodEnd, period.end)),
    )
    .limit(1);
  return row;
}

/** What a new report is made of. */
export interface NewReport {
  name: string;
  periodStart: string;
  periodEnd: string;
  source: "on_demand" | "schedule";
  figures: string;
  content: string;
  createdBy: number | null;
}

/**
 * Inserts a report and returns it. A scheduled report whose period already has one inserts nothing
 * and returns no row (`reports_scheduled_period_unique`): how a repeated cron run creates nothing twice.
 */
export function insertReportStatement(d1: D1Database, r: NewReport, at: string): Statement<ReportRow> {
  return statement(
    d1,
    `INSERT INTO reports (name, period_start, period_end, source, figures, content, created_by, created_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
     ON CONFLICT (period_start, period_end) WHERE source = 'schedule' DO NOTHING
     RETURNING id, name, period_start, period_end, source, figures, content, created_by, created_at`,
    r.name,
    r.periodStart,
    r.periodEnd,
    r.source,
    r.figures,
    r.content,
    r.createdBy,
    at,
  );
}
