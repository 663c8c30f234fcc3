import * as z from "zod/mini";
import { doc, named } from "../../lib/openapi";
import { pageFields, paginationQuery } from "../../lib/pagination";

/** A day (`2026-11-25`, the whole day in UTC) or an ISO 8601 date-time. */
const DayOrTime = doc(
  z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: "Expected a date such as 2026-11-25 or an ISO 8601 date-time",
  }),
  { example: "2026-11-25" },
);

/** Query of `GET /audit-events`. */
export const AuditEventListQuery = z.extend(paginationQuery, {
  user_id: z.optional(z.coerce.number().check(z.int(), z.positive())),
  event: doc(
    z.optional(
      z.string().check(z.trim(), z.minLength(1), z.maxLength(64), z.regex(/^[a-z_]+$/, "Lower-case letters and '_'")),
    ),
    { example: "login_failed" },
  ),
  start_date: doc(z.optional(DayOrTime), { description: "From this day (or time), inclusive" }),
  end_date: doc(z.optional(DayOrTime), { description: "Up to this day (inclusive) or time" }),
});

/** A recorded security event. `detail` never holds a secret. */
export const AuditEventSchema = named(
  z.object({
    id: z.int(),
    event: doc(z.string(), { example: "login" }),
    user_id: z.nullable(z.int()),
    ip: z.nullable(z.string()),
    user_agent: z.nullable(z.string()),
    detail: z.nullable(z.string()),
    created_at: z.string(),
  }),
  "AuditEvent",
);

/** `{audit_events, total, skip, limit}`. */
export const AuditEventList = named(
  z.object({ audit_events: z.array(AuditEventSchema), ...pageFields }),
  "AuditEventList",
);
