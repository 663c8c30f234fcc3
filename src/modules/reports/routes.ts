import type { Context } from "hono";
import * as z from "zod/mini";
import { API_PREFIX } from "../../app-info";
import type { AppEnv } from "../../env";
import { AppError } from "../../lib/errors";
import { doc, errors, IdParam, json, jsonBody } from "../../lib/openapi";
import { listOf, pageOf } from "../../lib/pagination";
import { createRouter, guardedRoute, publicRoute } from "../../middleware/route";
import { html, htmlResponse } from "../auth";
import { reportCsv } from "./content";
import { reportPage, unsubscribePage } from "./html";
import { generateReport, getReport, getReportDetail, listReportPage } from "./report-service";
import {
  GenerateReportBody,
  ReportDetailEnvelope,
  ReportEnvelope,
  ReportList,
  ReportListQuery,
  SendReportAccepted,
  SendReportBody,
} from "./schemas";
import { sendReport } from "./send-service";
import { checkUnsubscribeToken, unsubscribe } from "./unsubscribe-service";

const tags = ["Reports"];
const REPORTS = `${API_PREFIX}/reports`;

/** The one-click unsubscribe URL of report emails (RFC 8058); a form post is accepted there. */
export const UNSUBSCRIBE_PATH = `${API_PREFIX}/unsubscribe`;

const TokenQuery = z.object({
  token: doc(z.string().check(z.maxLength(100)), { description: "The token of the report email's link" }),
});

/** The base of links in emails: `PUBLIC_URL`, else this request's origin. */
const baseOf = (c: Context<AppEnv>) => c.get("deps").config.publicUrl ?? new URL(c.req.url).origin;

/** The page of a refused unsubscribe token (400). */
function invalidLinkPage(c: Context<AppEnv>, err: unknown) {
  if (!(err instanceof AppError) || err.status !== 400) throw err;
  return html(c, unsubscribePage("This link can't be used", String(err.detail)), 400);
}

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
      const { report } = await generateReport(c.get("deps"), c.req.valid("json"), {
        source: "on_demand",
        createdBy: c.get("auth").userId,
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
      const { rows, total } = await listReportPage(c.get("deps"), query, page);
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
      const report = await getReportDetail(c.get("deps"), c.req.valid("param").id);
      return c.json({ report }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${REPORTS}/{id}/html`,
      tags,
      summary: "A report as a page with charts",
      description:
        "Registrations per day and the most popular trainings drawn as inline SVG, with the figures; no script and no external asset.",
      permission: "reports:read",
      request: { params: IdParam },
      responses: { 200: htmlResponse("The report page"), ...errors(404) },
    }),
    async (c) => html(c, reportPage(await getReport(c.get("deps"), c.req.valid("param").id))),
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${REPORTS}/{id}/csv`,
      tags,
      summary: "A report as CSV",
      description:
        "One row per figure: `section,metric,current,previous,change,change_percent` (RFC 4180, CRLF), as an attachment.",
      permission: "reports:read",
      request: { params: IdParam },
      responses: {
        200: { description: "The report's figures", content: { "text/csv": { schema: z.string() } } },
        ...errors(404),
      },
    }),
    async (c) => {
      const report = await getReport(c.get("deps"), c.req.valid("param").id);
      return c.body(reportCsv(report.figures), 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="report-${report.id}.csv"`,
      });
    },
  )
  .openapi(
    guardedRoute({
      method: "post",
      path: `${REPORTS}/send`,
      tags,
      summary: "Email a report to every active user who receives email",
      description:
        "202: one email per active user with `receive_email`, through the `emails` queue (recipients beyond the first 50 are fanned out by queue messages), each recorded in the report's `delivered_to`. A recipient who already got this report under this `subject` is not emailed again, so repeating the request emails no one twice; `recipients` is how many this request will email. Every email carries an RFC 8058 one-click unsubscribe (`List-Unsubscribe`, `List-Unsubscribe-Post` and a link). 409 `REPORT_SEND_BUSY` when a concurrent send of the same report and subject holds the same recipients.",
      permission: "reports:send",
      request: { body: jsonBody(SendReportBody) },
      responses: { 202: json(SendReportAccepted, "The send is under way"), ...errors(404, 409) },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const { recipients } = await sendReport(c.get("deps"), input, baseOf(c));
      return c.json({ message: "Report emails are on their way", ...input, recipients }, 202);
    },
  )
  .openapi(
    publicRoute({
      method: "get",
      path: UNSUBSCRIBE_PATH,
      tags,
      summary: "The unsubscribe page of a report email",
      description:
        "A page with a button that posts to the same URL; opening it changes nothing (mail scanners open links). An invalid token shows a page saying so (400).",
      request: { query: TokenQuery },
      responses: { 200: htmlResponse("The unsubscribe page"), 400: htmlResponse("The link is not valid") },
    }),
    async (c) => {
      const { token } = c.req.valid("query");
      try {
        await checkUnsubscribeToken(c.get("deps"), token);
      } catch (err) {
        return invalidLinkPage(c, err);
      }
      return html(
        c,
        unsubscribePage("Unsubscribe from report emails", "Select the button to stop receiving report emails.", {
          action: `${UNSUBSCRIBE_PATH}?token=${encodeURIComponent(token)}`,
          token,
        }),
      );
    },
  )
  .openapi(
    publicRoute({
      method: "post",
      path: UNSUBSCRIBE_PATH,
      tags,
      summary: "One-click unsubscribe from report emails (RFC 8058)",
      description:
        "Turns `receive_email` off for the user the token was signed for, without signing in; the body (`List-Unsubscribe=One-Click`, form-encoded or multipart) is not needed. The token is an HMAC of that user's id for this purpose only: a changed id or signature is 400 (a page saying so).",
      request: { query: TokenQuery },
      responses: { 200: htmlResponse("Unsubscribed"), 400: htmlResponse("The link is not valid") },
    }),
    async (c) => {
      try {
        await unsubscribe(c.get("deps"), c.req.valid("query").token);
      } catch (err) {
        return invalidLinkPage(c, err);
      }
      return html(c, unsubscribePage("Unsubscribed", "You will receive no more report emails."));
    },
  );
