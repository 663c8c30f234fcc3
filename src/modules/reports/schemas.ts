import * as z from "zod/mini";
import { DateTimeInput } from "../../lib/datetime";
import { doc, named } from "../../lib/openapi";
import { pageFields, paginationQuery } from "../../lib/pagination";
import type { ReportFigures } from "./figures";

const Count = z.int();
const ChangeSchema = named(
  z.object({
    current: Count,
    previous: doc(Count, { description: "The same figure in the previous period of equal length" }),
    change: Count,
    change_percent: doc(z.nullable(z.number()), { description: "Null when the previous figure is 0" }),
  }),
  "ReportChange",
);
const PeriodSchema = doc(z.object({ start: z.string(), end: z.string() }), { description: "`[start, end)`, UTC" });

/** `ReportFigures` as documented. */
export const FiguresSchema = named(
  z.object({
    period: PeriodSchema,
    previous_period: PeriodSchema,
    totals: z.object({ users: Count, active_accounts: Count, trainings: Count, published_trainings: Count }),
    new_users: ChangeSchema,
    active_users: doc(ChangeSchema, { description: "Distinct users who signed in during the period" }),
    registrations: ChangeSchema,
    registrations_by_status: z.object({
      REGISTERED: ChangeSchema,
      ATTENDED: ChangeSchema,
      COMPLETED: ChangeSchema,
      CANCELLED: ChangeSchema,
    }),
    completions: ChangeSchema,
    registrations_per_day: z.array(z.object({ date: z.string(), registrations: Count })),
    top_trainings: z.array(
      z.object({
        training_id: Count,
        title: z.string(),
        registrations: Count,
        seats_taken: Count,
        seats_offered: doc(z.nullable(Count), { description: "Null: no seat limit" }),
      }),
    ),
    module_progress: z.object({
      enrollments: Count,
      average_score: z.nullable(z.number()),
      updated_in_period: Count,
      average_score_updated_in_period: z.nullable(z.number()),
      modules: z.array(
        z.object({
          module_id: Count,
          title: z.string(),
          enrollments: Count,
          average_score: z.nullable(z.number()),
          max_score: Count,
        }),
      ),
    }),
  }),
  "ReportFigures",
);

// The documented shape and the computed one must not drift apart.
const _figuresMatch: z.infer<typeof FiguresSchema> extends ReportFigures ? true : never = true;
void _figuresMatch;

const DeliverySchema = z.object({
  user_id: Count,
  username: z.string(),
  status: z.enum(["queued", "sent", "failed"]),
  subject: z.string(),
  sent_at: z.nullable(z.string()),
});

/** A report as the API shows it. */
export const ReportSchema = named(
  z.object({
    id: Count,
    name: z.string(),
    period: PeriodSchema,
    period_start: z.string(),
    period_end: z.string(),
    source: doc(z.enum(["on_demand", "schedule"]), { description: "How it was made" }),
    figures: FiguresSchema,
    content: doc(z.string(), { description: "The figures as text" }),
    created_by: z.nullable(Count),
    created_at: z.string(),
  }),
  "Report",
);

export const ReportDetailSchema = named(
  z.extend(ReportSchema, {
    delivered_to: doc(z.array(DeliverySchema), { description: "Recipients, newest first (at most 1000)" }),
    delivered_total: Count,
  }),
  "ReportDetail",
);

export const ReportEnvelope = named(z.object({ report: ReportSchema, message: z.string() }), "ReportEnvelope");
export const ReportDetailEnvelope = named(z.object({ report: ReportDetailSchema }), "ReportDetailEnvelope");
export const ReportList = named(z.object({ reports: z.array(ReportSchema), ...pageFields }), "ReportList");

/** Body of `POST /reports/generate`. */
export const GenerateReportBody = named(
  z.strictObject({
    period_start: z.optional(DateTimeInput),
    period_end: z.optional(DateTimeInput),
    name: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))),
  }),
  "GenerateReport",
);

const DateQuery = doc(z.iso.date(), { example: "2026-11-01", description: "A date (UTC)" });

/** `GET /reports` query: creation dates `[start_date, end_date]`, both inclusive, and a page. */
export const ReportListQuery = z
  .extend(paginationQuery, { start_date: z.optional(DateQuery), end_date: z.optional(DateQuery) })
  .check(
    z.refine((q) => !q.start_date || !q.end_date || q.end_date >= q.start_date, {
      message: "end_date must not be before start_date",
      path: ["end_date"],
    }),
  );

/** Body of `POST /reports/send`. */
export const SendReportBody = named(
  z.strictObject({
    report_id: z.int().check(z.positive()),
    // One line: it becomes the email's Subject header (no header injection).
    subject: z
      .string()
      .check(z.trim(), z.minLength(1), z.maxLength(200), z.regex(/^[^\r\n]*$/, "The subject must be one line")),
  }),
  "SendReport",
);

export const SendReportAccepted = named(
  z.object({ message: z.string(), report_id: Count, subject: z.string(), recipients: Count }),
  "SendReportAccepted",
);
