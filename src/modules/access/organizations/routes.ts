import { API_PREFIX } from "../../../app-info";
import { errors, IdParam, json, jsonBody, MessageSchema } from "../../../lib/openapi";
import { pageOf } from "../../../lib/pagination";
import { createRouter, guardedRoute } from "../../../middleware/route";
import { memberRoutes } from "./member-routes";
import {
  createOrganization,
  deleteOrganization,
  getOrganization,
  listOrganizations,
  updateOrganization,
} from "./organization-service";
import {
  CreateOrganizationBody,
  OrganizationEnvelope,
  OrganizationList,
  OrganizationListQuery,
  UpdateOrganizationBody,
} from "./schemas";

const BASE = `${API_PREFIX}/organizations`;
const tags = ["Organizations"];
const SEE_RULE = "Other organizations are 404 to a caller without organizations:read.";

const organizationRouter = createRouter()
  .openapi(
    guardedRoute({
      method: "get",
      path: BASE,
      tags,
      summary: "List organizations (filters search, active)",
      description: SEE_RULE,
      permission: "organizations:read",
      scope: "own",
      request: { query: OrganizationListQuery },
      responses: { 200: json(OrganizationList, "A page of organizations") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const filter = { search: q.search, active: q.active };
      return c.json(await listOrganizations(c.get("deps"), c.get("auth"), c.get("scope"), filter, pageOf(q)), 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "post",
      path: BASE,
      tags,
      summary: "Create an organization; admin_ids join it as its admins",
      description:
        "admin_ids may name only users the caller can see (all with users:read globally; otherwise itself and members of organizations where it holds users:read), any other answering 404 USER_NOT_FOUND like a missing one. Recorded in the audit trail.",
      permission: "organizations:create",
      request: { body: jsonBody(CreateOrganizationBody) },
      responses: { 201: json(OrganizationEnvelope, "Created"), ...errors(404, 409) },
    }),
    async (c) => {
      const organization = await createOrganization(c.get("deps"), c.get("auth"), c.req.valid("json"));
      return c.json({ organization, message: "Organization created successfully" }, 201);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${BASE}/{id}`,
      tags,
      summary: "Get an organization",
      description: SEE_RULE,
      permission: "organizations:read",
      scope: "own",
      request: { params: IdParam },
      responses: { 200: json(OrganizationEnvelope, "The organization"), ...errors(404) },
    }),
    async (c) => {
      const organization = await getOrganization(c.get("deps"), c.get("auth"), c.req.valid("param").id);
      return c.json({ organization }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "put",
      path: `${BASE}/{id}`,
      tags,
      summary: "Update an organization (partial)",
      description:
        "Holders of organizations:update change every field; the organization's own admins (admin_ids) may change description and admin_ids only (403 FIELD_NOT_ALLOWED for name, domain, active). An organization out of the caller's reach is 403, or 404 when it can't see it. admin_ids is the exact admin set: listed non-members join as admins; without users:read globally it may name only users the caller can see (itself and members of organizations where it holds users:read), any other answering 404 USER_NOT_FOUND like a missing one. Changes are recorded in the audit trail.",
      permission: "organizations:update",
      scope: "organization",
      request: { params: IdParam, body: jsonBody(UpdateOrganizationBody) },
      responses: { 200: json(OrganizationEnvelope, "Updated"), ...errors(404, 409) },
    }),
    async (c) => {
      const organization = await updateOrganization(
        c.get("deps"),
        c.get("auth"),
        c.get("scope"),
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      return c.json({ organization, message: "Organization updated successfully" }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "delete",
      path: `${BASE}/{id}`,
      tags,
      summary: "Delete an empty organization (409 ORGANIZATION_NOT_EMPTY while members, roles or permissions remain)",
      permission: "organizations:delete",
      request: { params: IdParam },
      responses: { 200: json(MessageSchema, "Deleted"), ...errors(404, 409) },
    }),
    async (c) => {
      await deleteOrganization(c.get("deps"), c.get("auth"), c.req.valid("param").id);
      return c.json({ message: "Organization deleted successfully" }, 200);
    },
  );

/** `/organizations` and their `/members`. */
export const organizationRoutes = createRouter().route("/", organizationRouter).route("/", memberRoutes);
