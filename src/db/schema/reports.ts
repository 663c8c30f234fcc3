import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { timestamps } from "./columns";
import { users } from "./identity";

/**
 * A report of the platform over a period (`[period_start, period_end)`, ISO UTC): its figures (JSON,
 * `ReportFigures` of `src/modules/reports`) and a text rendering of them. `source` says how it was
 * made: `on_demand` (`POST /reports/generate`) or `schedule` (the daily cron), for which the period is
 * the idempotency key (a repeated run for the same scheduled time inserts nothing).
 */
export const reports = sqliteTable(
  "reports",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    periodStart: text("period_start").notNull(),
    periodEnd: text("period_end").notNull(),
    source: text("source", { enum: ["on_demand", "schedule"] }).notNull(),
    figures: text("figures").notNull(),
    content: text("content").notNull(),
    createdBy: integer("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamps.createdAt,
  },
  (t) => [
    index("reports_created_idx").on(t.createdAt),
    uniqueIndex("reports_scheduled_period_unique").on(t.periodStart, t.periodEnd).where(sql`${t.source} = 'schedule'`),
  ],
);

/**
 * One recipient of a report sent under a subject: the primary key is what keeps the same report with
 * the same subject from emailing anyone twice. The delivery's status and time are its email's
 * (`emails.message_key`).
 */
export const reportDeliveries = sqliteTable(
  "report_deliveries",
  {
    reportId: integer("report_id")
      .notNull()
      .references(() => reports.id, { onDelete: "cascade" }),
    subject: text("subject").notNull(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    messageKey: text("message_key").notNull(),
    createdAt: timestamps.createdAt,
  },
  (t) => [primaryKey({ columns: [t.reportId, t.subject, t.userId] })],
);
