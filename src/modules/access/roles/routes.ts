import { API_PREFIX } from "../../../app-info";
import { errors, IdParam, json, jsonBody, MessageSchema } from "../../../lib/openapi";
import { pageOf } from "../../../lib/pagination";
import { createRouter, guardedRoute } from "../../../middleware/route";
import { createRole, deleteRole, getRole, listRoles, setRolePermissions, updateRole } from "./role-service";
import { CreateRoleBody, RoleEnvelope, RoleList, RoleListQuery, RolePermissionsBody, UpdateRoleBody } from "./schemas";

const BASE = `${API_PREFIX}/roles`;
const tags = ["Roles"];
const ORG_RULE =
  "Roles outside the caller's reach are 404. Only permissions the caller holds can be granted (403 PRIVILEGE_ESCALATION); system roles are read-only (409 SYSTEM_ROLE_READ_ONLY).";

/** `/roles`: system roles (read-only) and custom roles, optionally scoped to an organization. */
export const roleRoutes = createRouter()
  .openapi(
    guardedRoute({
      method: "get",
      path: BASE,
      tags,
      summary: "List roles (filter organization_id)",
      description: ORG_RULE,
      permission: "roles:read",
      scope: "organization",
      request: { query: RoleListQuery },
      responses: { 200: json(RoleList, "A page of roles") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      return c.json(await listRoles(c.get("deps"), c.get("scope"), q.organization_id, pageOf(q)), 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "post",
      path: BASE,
      tags,
      summary: "Create a custom role",
      description: ORG_RULE,
      permission: "roles:create",
      scope: "organization",
      request: { body: jsonBody(CreateRoleBody) },
      responses: { 201: json(RoleEnvelope, "Created"), ...errors(404, 409) },
    }),
    async (c) => {
      const role = await createRole(c.get("deps"), c.get("auth"), c.get("scope"), c.req.valid("json"));
      return c.json({ role, message: "Role created successfully" }, 201);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${BASE}/{id}`,
      tags,
      summary: "Get a role with its permissions",
      description: ORG_RULE,
      permission: "roles:read",
      scope: "organization",
      request: { params: IdParam },
      responses: { 200: json(RoleEnvelope, "The role"), ...errors(404) },
    }),
    async (c) =>
      c.json({ role: await getRole(c.get("deps"), c.get("auth"), c.get("scope"), c.req.valid("param").id) }, 200),
  )
  .openapi(
    guardedRoute({
      method: "put",
      path: `${BASE}/{id}`,
      tags,
      summary: "Update a custom role (name, description, permission_ids)",
      description: ORG_RULE,
      permission: "roles:update",
      scope: "organization",
      request: { params: IdParam, body: jsonBody(UpdateRoleBody) },
      responses: { 200: json(RoleEnvelope, "Updated"), ...errors(404, 409) },
    }),
    async (c) => {
      const role = await updateRole(
        c.get("deps"),
        c.get("auth"),
        c.get("scope"),
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      return c.json({ role, message: "Role updated successfully" }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "put",
      path: `${BASE}/{id}/permissions`,
      tags,
      summary: "Replace a custom role's permissions",
      description: ORG_RULE,
      permission: "roles:update",
      scope: "organization",
      request: { params: IdParam, body: jsonBody(RolePermissionsBody) },
      responses: { 200: json(RoleEnvelope, "Updated"), ...errors(404, 409) },
    }),
    async (c) => {
      const { permission_ids } = c.req.valid("json");
      const role = await setRolePermissions(
        c.get("deps"),
        c.get("auth"),
        c.get("scope"),
        c.req.valid("param").id,
        permission_ids,
      );
      return c.json({ role, message: "Role permissions updated successfully" }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "delete",
      path: `${BASE}/{id}`,
      tags,
      summary: "Delete a custom role that nobody holds (409 ROLE_IN_USE otherwise)",
      description: ORG_RULE,
      permission: "roles:delete",
      scope: "organization",
      request: { params: IdParam },
      responses: { 200: json(MessageSchema, "Deleted"), ...errors(404, 409) },
    }),
    async (c) => {
      await deleteRole(c.get("deps"), c.get("auth"), c.get("scope"), c.req.valid("param").id);
      return c.json({ message: "Role deleted successfully" }, 200);
    },
  );
