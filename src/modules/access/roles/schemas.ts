import * as z from "zod/mini";
import { doc, named } from "../../../lib/openapi";
import { pageFields, paginationQuery } from "../../../lib/pagination";

/** At most this many permissions in one role (the catalog has fewer than 60). */
export const MAX_ROLE_PERMISSIONS = 200;

const PermissionIds = z.array(z.int().check(z.positive())).check(z.maxLength(MAX_ROLE_PERMISSIONS));
const RoleName = doc(z.string().check(z.trim(), z.minLength(1), z.maxLength(100)), { example: "Project Manager" });
const Description = z.optional(z.nullable(z.string().check(z.trim(), z.maxLength(500))));

/** A role as the API shows it, with its permissions as ids and as `resource:action` keys. */
export const RoleSchema = named(
  z.object({
    id: z.int(),
    name: z.string(),
    description: z.nullable(z.string()),
    organization_id: z.nullable(z.int()),
    is_system: z.boolean(),
    permission_ids: z.array(z.int()),
    permissions: doc(z.array(z.string()), { example: ["trainings:read"] }),
    created_at: z.string(),
    updated_at: z.string(),
  }),
  "Role",
);

/** A role as the API shows it. */
export type RoleView = z.infer<typeof RoleSchema>;

/** Query of `GET /roles`: pagination and `organization_id`. */
export const RoleListQuery = z.extend(paginationQuery, {
  organization_id: doc(z.optional(z.coerce.number().check(z.int(), z.positive())), {
    description: "Only this organization's",
  }),
});

/** Body of `POST /roles` (strict). */
export const CreateRoleBody = named(
  z.strictObject({
    name: RoleName,
    description: Description,
    organization_id: z.optional(z.nullable(z.int().check(z.positive()))),
    permission_ids: z.optional(PermissionIds),
  }),
  "CreateRoleRequest",
);

/** Body of `PUT /roles/{id}` (partial, strict; a role never changes organization). */
export const UpdateRoleBody = named(
  z.strictObject({ name: z.optional(RoleName), description: Description, permission_ids: z.optional(PermissionIds) }),
  "UpdateRoleRequest",
);

/** Body of `PUT /roles/{id}/permissions`: the exact permission set. */
export const RolePermissionsBody = named(z.strictObject({ permission_ids: PermissionIds }), "RolePermissionsRequest");

/** `{role, message?}`. */
export const RoleEnvelope = named(z.object({ role: RoleSchema, message: z.optional(z.string()) }), "RoleEnvelope");

/** `{roles, total, skip, limit}`. */
export const RoleList = named(z.object({ roles: z.array(RoleSchema), ...pageFields }), "RoleList");
