import { z } from "@hono/zod-openapi";
import { pageFields, paginationQuery } from "../../../lib/pagination";

/** At most this many permissions in one role (the catalog has fewer than 60). */
export const MAX_ROLE_PERMISSIONS = 200;

const PermissionIds = z.array(z.number().int().positive()).max(MAX_ROLE_PERMISSIONS);
const RoleName = z.string().trim().min(1).max(100).openapi({ example: "Project Manager" });
const Description = z.string().trim().max(500).nullable().optional();

/** A role as the API shows it, with its permissions as ids and as `resource:action` keys. */
export const RoleSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    description: z.string().nullable(),
    organization_id: z.number().int().nullable(),
    is_system: z.boolean(),
    permission_ids: z.array(z.number().int()),
    permissions: z.array(z.string()).openapi({ example: ["trainings:read"] }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Role");

/** A role as the API shows it. */
export type RoleView = z.infer<typeof RoleSchema>;

/** Query of `GET /roles`: pagination and `organization_id`. */
export const RoleListQuery = paginationQuery.extend({
  organization_id: z.coerce.number().int().positive().optional().openapi({ description: "Only this organization's" }),
});

/** Body of `POST /roles` (strict). */
export const CreateRoleBody = z
  .object({
    name: RoleName,
    description: Description,
    organization_id: z.number().int().positive().nullable().optional(),
    permission_ids: PermissionIds.optional(),
  })
  .strict()
  .openapi("CreateRoleRequest");

/** Body of `PUT /roles/{id}` (partial, strict; a role never changes organization). */
export const UpdateRoleBody = z
  .object({ name: RoleName.optional(), description: Description, permission_ids: PermissionIds.optional() })
  .strict()
  .openapi("UpdateRoleRequest");

/** Body of `PUT /roles/{id}/permissions`: the exact permission set. */
export const RolePermissionsBody = z
  .object({ permission_ids: PermissionIds })
  .strict()
  .openapi("RolePermissionsRequest");

/** `{role, message?}`. */
export const RoleEnvelope = z.object({ role: RoleSchema, message: z.string().optional() }).openapi("RoleEnvelope");

/** `{roles, total, skip, limit}`. */
export const RoleList = z.object({ roles: z.array(RoleSchema), ...pageFields }).openapi("RoleList");
