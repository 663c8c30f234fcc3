import { API_PREFIX } from "../../app-info";
import { json } from "../../lib/openapi";
import { listOf, pageOf, paginationQuery } from "../../lib/pagination";
import { createRouter, guardedRoute } from "../../middleware/route";
import { listEmailPage } from "./email-service";
import { EmailList } from "./schemas";

/** `GET /admin/emails`: the outgoing emails, for holders of `emails:read`. */
export const emailRoutes = createRouter().openapi(
  guardedRoute({
    method: "get",
    path: `${API_PREFIX}/admin/emails`,
    tags: ["Admin"],
    summary: "Outgoing emails, newest first",
    description:
      "Every email with its `status` (`queued`, `sent`, `failed`) and `attempts`. With `EMAIL_TRANSPORT=record` (local runs and tests) this list is the delivery: the bodies keep their links. With a real transport a link is removed from the stored body once sent.",
    permission: "emails:read",
    request: { query: paginationQuery },
    responses: { 200: json(EmailList, "A page of emails") },
  }),
  async (c) => {
    const page = pageOf(c.req.valid("query"));
    const { rows, total } = await listEmailPage(c.get("deps"), page);
    return c.json(listOf("emails", rows, total, page), 200);
  },
);
