import { API_PREFIX } from "../../app-info";
import { errors, IdParam, json, jsonBody } from "../../lib/openapi";
import { listOf, pageOf } from "../../lib/pagination";
import { createRouter, guardedRoute } from "../../middleware/route";
import { generateReport, getReportDetail, listReportPage } from "./report-service";
import { GenerateReportBody, ReportDetailEnvelope, ReportEnvelope, ReportList, ReportListQuery } from "./schemas";

const tags = ["Reports"];
const REPORTS = `${API_PREFIX}/reports`;

/** Reports (Synapse): generate, list, read. */
export const reportRoutes = createRouter()
  .openapi(
    guardedRoute({
      method: "post",
      path: `${REPORTS}/generate`,
      tags,
      summary: "Generate a report of a period",
      description:
        "Computes the platform's figures for `[period_start, period_end)` and the previous period of equal length, and stores them with their text. Default period: the 7 days before now (with only one bound given, the 7 days from or to it). A period that does not end after its start, or is longer than 366 days, is 422. Records the `report.generated` webhook event.",
      permission: "reports:generate",
      request: { body: jsonBody(GenerateReportBody) },
      responses: { 201: json(ReportEnvelope, "The generated report") },
    }),
    async (c) => {
      const { report } = await generateReport(c.var.deps, c.req.valid("json"), {
        source: "on_demand",
        createdBy: c.var.auth.userId,
      });
      return c.json({ report, message: "Report generated successfully" }, 201);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: REPORTS,
      tags,
      summary: "List reports",
      description:
        "Newest first. `start_date` and `end_date` (dates, UTC, both inclusive) filter on when the report was created; an `end_date` before `start_date` is 422.",
      permission: "reports:read",
      request: { query: ReportListQuery },
      responses: { 200: json(ReportList, "A page of reports") },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const page = pageOf(query);
      const { rows, total } = await listReportPage(c.var.deps, query, page);
      return c.json(listOf("reports", rows, total, page), 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${REPORTS}/{id}`,
      tags,
      summary: "Get a report",
      description:
        "With its figures, its text and `delivered_to`: each recipient of each send, with the email's status (`queued`, `sent`, `failed`) and when it was sent.",
      permission: "reports:read",
      request: { params: IdParam },
      responses: { 200: json(ReportDetailEnvelope, "The report"), ...errors(404) },
    }),
    async (c) => {
      const report = await getReportDetail(c.var.deps, c.req.valid("param").id);
      return c.json({ report }, 200);
    },
  );
