import { API_PREFIX } from "../../../app-info";
import { errors, IdParam, json, jsonBody, MessageSchema } from "../../../lib/openapi";
import { pageOf } from "../../../lib/pagination";
import { createRouter, guardedRoute } from "../../../middleware/route";
import {
  createPermission,
  deletePermission,
  getPermission,
  listPermissions,
  updatePermission,
} from "./permission-service";
import {
  CreatePermissionBody,
  PermissionEnvelope,
  PermissionList,
  PermissionListQuery,
  UpdatePermissionBody,
} from "./schemas";

const BASE = `${API_PREFIX}/permissions`;
const tags = ["Permissions"];
const ORG_RULE = "Custom permissions outside the caller's reach are 404.";

/** `/permissions`: the catalog (system permissions, read-only) and custom, optionally organization-scoped, ones. */
export const permissionRoutes = createRouter()
  .openapi(
    guardedRoute({
      method: "get",
      path: BASE,
      tags,
      summary: "List permissions (filters organization_id, resource, action)",
      description: `${ORG_RULE} Global permissions are visible to organization admins too.`,
      permission: "permissions:read",
      scope: "organization",
      request: { query: PermissionListQuery },
      responses: { 200: json(PermissionList, "A page of permissions") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const filter = { organizationId: q.organization_id, resource: q.resource, action: q.action };
      return c.json(await listPermissions(c.get("deps"), c.get("scope"), filter, pageOf(q)), 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "post",
      path: BASE,
      tags,
      summary: "Create a custom permission",
      description: `${ORG_RULE} A catalog key (e.g. users:read) can't be created again: 409 PERMISSION_EXISTS. \`name\` is unique case-insensitively among global permissions and within one organization, and the system permissions' names ("View Users", ...) are reserved in every scope: 409 PERMISSION_NAME_TAKEN.`,
      permission: "permissions:create",
      scope: "organization",
      request: { body: jsonBody(CreatePermissionBody) },
      responses: { 201: json(PermissionEnvelope, "Created"), ...errors(404, 409) },
    }),
    async (c) => {
      const permission = await createPermission(c.get("deps"), c.get("auth"), c.get("scope"), c.req.valid("json"));
      return c.json({ permission, message: "Permission created successfully" }, 201);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${BASE}/{id}`,
      tags,
      summary: "Get a permission",
      description: ORG_RULE,
      permission: "permissions:read",
      scope: "organization",
      request: { params: IdParam },
      responses: { 200: json(PermissionEnvelope, "The permission"), ...errors(404) },
    }),
    async (c) => {
      const permission = await getPermission(c.get("deps"), c.get("auth"), c.req.valid("param").id);
      return c.json({ permission }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "put",
      path: `${BASE}/{id}`,
      tags,
      summary: "Update a custom permission (system permissions are read-only: 409)",
      description: `${ORG_RULE} A taken \`name\` is 409 PERMISSION_NAME_TAKEN, a taken or catalog key 409 PERMISSION_EXISTS.`,
      permission: "permissions:update",
      scope: "organization",
      request: { params: IdParam, body: jsonBody(UpdatePermissionBody) },
      responses: { 200: json(PermissionEnvelope, "Updated"), ...errors(404, 409) },
    }),
    async (c) => {
      const permission = await updatePermission(
        c.get("deps"),
        c.get("auth"),
        c.get("scope"),
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      return c.json({ permission, message: "Permission updated successfully" }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "delete",
      path: `${BASE}/{id}`,
      tags,
      summary: "Delete a custom permission that no role grants (409 PERMISSION_IN_USE otherwise)",
      description: ORG_RULE,
      permission: "permissions:delete",
      scope: "organization",
      request: { params: IdParam },
      responses: { 200: json(MessageSchema, "Deleted"), ...errors(404, 409) },
    }),
    async (c) => {
      await deletePermission(c.get("deps"), c.get("auth"), c.get("scope"), c.req.valid("param").id);
      return c.json({ message: "Permission deleted successfully" }, 200);
    },
  );
