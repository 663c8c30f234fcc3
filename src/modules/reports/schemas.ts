import { z } from "@hono/zod-openapi";
import { DateTimeInput } from "../../lib/datetime";
import { pageFields, paginationQuery } from "../../lib/pagination";
import type { ReportFigures } from "./figures";

const Count = z.number().int();
const ChangeSchema = z
  .object({
    current: Count,
    previous: Count.openapi({ description: "The same figure in the previous period of equal length" }),
    change: Count,
    change_percent: z.number().nullable().openapi({ description: "Null when the previous figure is 0" }),
  })
  .openapi("ReportChange");
const PeriodSchema = z.object({ start: z.string(), end: z.string() }).openapi({ description: "`[start, end)`, UTC" });

/** `ReportFigures` as documented. */
export const FiguresSchema = z
  .object({
    period: PeriodSchema,
    previous_period: PeriodSchema,
    totals: z.object({ users: Count, active_accounts: Count, trainings: Count, published_trainings: Count }),
    new_users: ChangeSchema,
    active_users: ChangeSchema.openapi({ description: "Distinct users who signed in during the period" }),
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
        seats_offered: Count.nullable().openapi({ description: "Null: no seat limit" }),
      }),
    ),
    module_progress: z.object({
      enrollments: Count,
      average_score: z.number().nullable(),
      updated_in_period: Count,
      average_score_updated_in_period: z.number().nullable(),
      modules: z.array(
        z.object({
          module_id: Count,
          title: z.string(),
          enrollments: Count,
          average_score: z.number().nullable(),
          max_score: Count,
        }),
      ),
    }),
  })
  .openapi("ReportFigures");

// The documented shape and the computed one must not drift apart.
const _figuresMatch: z.infer<typeof FiguresSchema> extends ReportFigures ? true : never = true;
void _figuresMatch;

const DeliverySchema = z.object({
  user_id: Count,
  username: z.string(),
  status: z.enum(["queued", "sent", "failed"]),
  subject: z.string(),
  sent_at: z.string().nullable(),
});

/** A report as the API shows it. */
export const ReportSchema = z
  .object({
    id: Count,
    name: z.string(),
    period: PeriodSchema,
    period_start: z.string(),
    period_end: z.string(),
    source: z.enum(["on_demand", "schedule"]).openapi({ description: "How it was made" }),
    figures: FiguresSchema,
    content: z.string().openapi({ description: "The figures as text" }),
    created_by: Count.nullable(),
    created_at: z.string(),
  })
  .openapi("Report");

export const ReportDetailSchema = ReportSchema.extend({
  delivered_to: z.array(DeliverySchema).openapi({ description: "Recipients, newest first (at most 1000)" }),
  delivered_total: Count,
}).openapi("ReportDetail");

export const ReportEnvelope = z.object({ report: ReportSchema, message: z.string() }).openapi("ReportEnvelope");
export const ReportDetailEnvelope = z.object({ report: ReportDetailSchema }).openapi("ReportDetailEnvelope");
export const ReportList = z.object({ reports: z.array(ReportSchema), ...pageFields }).openapi("ReportList");

/** Body of `POST /reports/generate`. */
export const GenerateReportBody = z
  .object({
    period_start: DateTimeInput.optional(),
    period_end: DateTimeInput.optional(),
    name: z.string().trim().min(1).max(200).optional(),
  })
  .strict()
  .openapi("GenerateReport");

const DateQuery = z.iso.date().openapi({ example: "2026-11-01", description: "A date (UTC)" });

/** `GET /reports` query: creation dates `[start_date, end_date]`, both inclusive, and a page. */
export const ReportListQuery = paginationQuery
  .extend({ start_date: DateQuery.optional(), end_date: DateQuery.optional() })
  .refine((q) => !q.start_date || !q.end_date || q.end_date >= q.start_date, {
    message: "end_date must not be before start_date",
    path: ["end_date"],
  });

/** Body of `POST /reports/send`. */
export const SendReportBody = z
  .object({
    report_id: z.number().int().positive(),
    // One line: it becomes the email's Subject header (no header injection).
    subject: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .regex(/^[^\r\n]*$/, "The subject must be one line"),
  })
  .strict()
  .openapi("SendReport");

export const SendReportAccepted = z
  .object({ message: z.string(), report_id: Count, subject: z.string(), recipients: Count })
  .openapi("SendReportAccepted");
