import { API_PREFIX } from "../../../app-info";
import { errors, IdParam, json, jsonBody, MessageSchema } from "../../../lib/openapi";
import { pageOf, paginationQuery } from "../../../lib/pagination";
import { createRouter, guardedRoute } from "../../../middleware/route";
import { listMembers, putMember, removeMember } from "./member-service";
import { MemberEnvelope, MemberList, MemberParams, PutMemberBody } from "./schemas";

const BASE = `${API_PREFIX}/organizations/{id}/members`;
const tags = ["Organizations"];
const ORG_RULE = "404 for an organization the caller can't see, 403 for one it sees but does not manage.";

/** `/organizations/{id}/members`: who belongs to an organization, who administers it, and their roles in it. */
export const memberRoutes = createRouter()
  .openapi(
    guardedRoute({
      method: "get",
      path: BASE,
      tags,
      summary: "List an organization's members",
      description: ORG_RULE,
      permission: "users:read",
      scope: "organization",
      request: { params: IdParam, query: paginationQuery },
      responses: { 200: json(MemberList, "A page of members"), ...errors(404) },
    }),
    async (c) => {
      const page = pageOf(c.req.valid("query"));
      return c.json(
        await listMembers(c.get("deps"), c.get("auth"), c.get("scope"), c.req.valid("param").id, page),
        200,
      );
    },
  )
  .openapi(
    guardedRoute({
      method: "put",
      path: `${BASE}/{user_id}`,
      tags,
      summary: "Add a member or update its admin flag and its roles in this organization",
      description: `${ORG_RULE} Without users:read globally, the caller may only add users it can already see: itself and members of the organizations where it holds users:read (as a role or as their admin); any other user answers 404 USER_NOT_FOUND like a missing one. role_ids may only name roles of this organization, and the caller must hold every permission of each role it assigns or removes (403 PRIVILEGE_ESCALATION). Membership changes are recorded in the audit trail.`,
      permission: "organizations:update",
      scope: "organization",
      request: { params: MemberParams, body: jsonBody(PutMemberBody) },
      responses: { 200: json(MemberEnvelope, "The membership"), ...errors(404) },
    }),
    async (c) => {
      const { id, user_id } = c.req.valid("param");
      const member = await putMember(c.get("deps"), c.get("auth"), c.get("scope"), id, user_id, c.req.valid("json"));
      return c.json({ member, message: "Membership saved successfully" }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "delete",
      path: `${BASE}/{user_id}`,
      tags,
      summary: "Remove a member (and its roles in this organization)",
      description: ORG_RULE,
      permission: "organizations:update",
      scope: "organization",
      request: { params: MemberParams },
      responses: { 200: json(MessageSchema, "Removed"), ...errors(404) },
    }),
    async (c) => {
      const { id, user_id } = c.req.valid("param");
      await removeMember(c.get("deps"), c.get("auth"), c.get("scope"), id, user_id);
      return c.json({ message: "Member removed successfully" }, 200);
    },
  );
