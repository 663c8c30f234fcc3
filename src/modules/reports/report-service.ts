import { outboxStatement } from "../../db/outbox";
import { runBatch } from "../../db/statement";
import { isoAt } from "../../lib/clock";
import type { Page } from "../../lib/pagination";
import type { Deps } from "../../middleware/deps";
import { reportText } from "./content";
import { ReportErrors } from "./errors";
import { checkedPeriod, type Period, periodFigures, type ReportFigures } from "./figures";
import {
  findReport,
  findReportWithDeliveries,
  findScheduledReport,
  insertReportStatement,
  listReports,
  newestReports,
  type ReportRow,
} from "./report-repository";

/** A stored report as services and routes use it (figures parsed). */
export interface StoredReport {
  id: number;
  name: string;
  period: Period;
  period_start: string;
  period_end: string;
  source: "on_demand" | "schedule";
  figures: ReportFigures;
  content: string;
  created_by: number | null;
  created_at: string;
}

/** A report row with its figures parsed. */
export function storedReport(row: ReportRow): StoredReport {
  return {
    id: row.id,
    name: row.name,
    period: { start: row.period_start, end: row.period_end },
    period_start: row.period_start,
    period_end: row.period_end,
    source: row.source,
    figures: JSON.parse(row.figures) as ReportFigures,
    content: row.content,
    created_by: row.created_by,
    created_at: row.created_at,
  };
}

/**
 * The newest `limit` stored reports (at most 100), newest first.
 *
 * @example
 *   const [last] = await latestReports(deps, 1); last?.figures.new_users.current
 */
export async function latestReports(deps: Deps, limit: number): Promise<StoredReport[]> {
  const rows = await newestReports(deps.db, Math.max(1, Math.min(100, Math.floor(limit))));
  return rows.map(storedReport);
}

const DAY_MS = 86_400_000;

/** What makes a report: its period (default: the 7 days before now), name and how it is made. */
export interface ReportRequest {
  period_start?: string | undefined;
  period_end?: string | undefined;
  name?: string | undefined;
}

/** `Report 2026-11-16 – 2026-11-23` (the last day shown is the period's last, inclusive). */
export function defaultReportName(period: Period): string {
  const lastDay = new Date(Date.parse(period.end) - 1).toISOString().slice(0, 10);
  const first = period.start.slice(0, 10);
  return first === lastDay ? `Report ${first}` : `Report ${first} to ${lastDay}`;
}

/**
 * Computes a report's figures and stores it with its text, recording `report.generated` in the same
 * batch. For `source: "schedule"` the period is the idempotency key: when that period already has a
 * scheduled report, nothing is written and `created` is false (with the existing report).
 * Rules: `POST /reports/generate` in `routes.ts`.
 */
export async function generateReport(
  deps: Deps,
  input: ReportRequest,
  how: { source: "on_demand" | "schedule"; createdBy: number | null },
): Promise<{ report: StoredReport; created: boolean }> {
  const now = deps.clock.now();
  const end =
    input.period_end ?? (input.period_start ? isoAt(Date.parse(input.period_start) + 7 * DAY_MS) : isoAt(now));
  const period = checkedPeriod({ start: input.period_start ?? isoAt(Date.parse(end) - 7 * DAY_MS), end });
  const figures = await periodFigures(deps, period);
  const name = input.name ?? defaultReportName(period);
  const at = isoAt(now);
  const [inserted] = await runBatch(deps.d1, [
    insertReportStatement(
      deps.d1,
      {
        name,
        periodStart: period.start,
        periodEnd: period.end,
        source: how.source,
        figures: JSON.stringify(figures),
        content: reportText(name, figures),
        createdBy: how.createdBy,
      },
      at,
    ),
    outboxStatement(
      deps.d1,
      "report.generated",
      { name, period_start: period.start, period_end: period.end, source: how.source },
      { at, fill: { "$.data.report_id": "last_insert_rowid()" }, when: "changes() = 1" },
    ),
  ]);
  const row = inserted[0];
  if (row) return { report: storedReport(row), created: true };
  const existing = await findScheduledReport(deps.db, period);
  if (!existing) throw new Error("scheduled report neither inserted nor found");
  return { report: storedReport(existing), created: false };
}

/** A report by id, or 404 `REPORT_NOT_FOUND`. */
export async function getReport(deps: Deps, id: number): Promise<StoredReport> {
  const row = await findReport(deps.db, id);
  if (!row) throw ReportErrors.REPORT_NOT_FOUND(id);
  return storedReport(row);
}

/** A report with its deliveries (`GET /reports/{id}`), in one round trip; 404 `REPORT_NOT_FOUND`. */
export async function getReportDetail(deps: Deps, id: number) {
  const found = await findReportWithDeliveries(deps.db, id, DELIVERIES_SHOWN);
  if (!found.report) throw ReportErrors.REPORT_NOT_FOUND(id);
  return { ...storedReport(found.report), delivered_to: found.deliveries, delivered_total: found.total };
}

/** Recipients `GET /reports/{id}` lists at most. */
const DELIVERIES_SHOWN = 1000;

const DAY = 86_400_000;

/** `GET /reports`: created between the dates (inclusive), newest first. Rules: `routes.ts`. */
export async function listReportPage(
  deps: Deps,
  query: { start_date?: string | undefined; end_date?: string | undefined },
  page: Page,
) {
  const created = {
    from: query.start_date ? `${query.start_date}T00:00:00.000Z` : undefined,
    to: query.end_date ? isoAt(Date.parse(`${query.end_date}T00:00:00.000Z`) + DAY) : undefined,
  };
  const { rows, total } = await listReports(deps.db, created, page);
  return { rows: rows.map(storedReport), total };
}
