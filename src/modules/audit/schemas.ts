import { z } from "@hono/zod-openapi";
import { pageFields, paginationQuery } from "../../lib/pagination";

/** A day (`2026-11-25`, the whole day in UTC) or an ISO 8601 date-time. */
const DayOrTime = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: "Expected a date such as 2026-11-25 or an ISO 8601 date-time",
  })
  .openapi({ example: "2026-11-25" });

/** Query of `GET /audit-events`. */
export const AuditEventListQuery = paginationQuery.extend({
  user_id: z.coerce.number().int().positive().optional(),
  event: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[a-z_]+$/, "Lower-case letters and '_'")
    .optional()
    .openapi({ example: "login_failed" }),
  start_date: DayOrTime.optional().openapi({ description: "From this day (or time), inclusive" }),
  end_date: DayOrTime.optional().openapi({ description: "Up to this day (inclusive) or time" }),
});

/** A recorded security event. `detail` never holds a secret. */
export const AuditEventSchema = z
  .object({
    id: z.number().int(),
    event: z.string().openapi({ example: "login" }),
    user_id: z.number().int().nullable(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    detail: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("AuditEvent");

/** `{audit_events, total, skip, limit}`. */
export const AuditEventList = z
  .object({ audit_events: z.array(AuditEventSchema), ...pageFields })
  .openapi("AuditEventList");
