import { API_PREFIX } from "../../app-info";
import { invalid } from "../../lib/errors";
import { json } from "../../lib/openapi";
import { listOf, pageOf } from "../../lib/pagination";
import { createRouter, guardedRoute } from "../../middleware/route";
import { listAuditEvents } from "./audit-repository";
import { AuditEventList, AuditEventListQuery } from "./schemas";

/** A day or date-time filter as an ISO time: a day starts at 00:00 UTC; `endOfDay` moves a day to the next one. */
function isoBound(value: string | undefined, endOfDay: boolean): string | undefined {
  if (value === undefined) return undefined;
  if (value.length === 10) {
    const day = Date.parse(`${value}T00:00:00.000Z`);
    return new Date(endOfDay ? day + 86_400_000 : day).toISOString();
  }
  const time = new Date(value);
  return new Date(time.getTime() + (endOfDay ? 1 : 0)).toISOString();
}

/** The audit trail: security events, for holders of `audit:read`. */
export const auditRoutes = createRouter().openapi(
  guardedRoute({
    method: "get",
    path: `${API_PREFIX}/audit-events`,
    tags: ["Audit"],
    summary:
      "Security events (sign-ins and failures, refreshes, reuse detections, logouts, password and access changes)",
    description:
      "Newest first. Filters `user_id`, `event`, `start_date` and `end_date` (days are whole UTC days, both inclusive); an `end_date` before the `start_date` is 422. `detail` never holds a token, password or key.",
    permission: "audit:read",
    request: { query: AuditEventListQuery },
    responses: { 200: json(AuditEventList, "A page of audit events") },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const from = isoBound(q.start_date, false);
    const before = isoBound(q.end_date, true);
    if (from && before && before <= from)
      throw invalid(["query", "end_date"], "end_date must not be before start_date");
    const page = pageOf(q);
    const { rows, total } = await listAuditEvents(
      c.get("deps").db,
      { userId: q.user_id, event: q.event, from, before },
      page,
    );
    return c.json(listOf("audit_events", rows, total, page), 200);
  },
);
