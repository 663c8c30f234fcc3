import { AppError, forbidden, notFound } from "../../lib/errors";
import type { Permission } from "../../lib/permissions";
import { type AuthContext, can, canInOrg } from "../auth/auth-context";

/**
 * What an organization admin (`organization_members.is_admin`, shown as `admin_ids`) may do in its own
 * organizations without holding the permission globally: manage the organization's members and
 * description, its roles and its custom permissions. Nothing beyond its organizations.
 */
export const ORG_ADMIN_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>([
  "users:read",
  "organizations:update",
  "roles:read",
  "roles:create",
  "roles:update",
  "roles:delete",
  "permissions:read",
  "permissions:create",
  "permissions:update",
  "permissions:delete",
]);

/** Where a caller may use a permission: everywhere, or only in some organizations. */
export interface Scope {
  global: boolean;
  orgIds: readonly number[];
}

/**
 * The caller's scope for `permission`: global when a global role grants it; otherwise the organizations
 * where an organization-scoped role grants it, plus those it administers when the permission is one of
 * `ORG_ADMIN_PERMISSIONS`.
 *
 * @example
 *   const scope = scopeOf(c.var.auth, "roles:create"); inScope(scope, body.organization_id ?? null)
 */
export function scopeOf(auth: AuthContext, permission: Permission): Scope {
  if (can(auth, permission)) return { global: true, orgIds: [] };
  const orgIds = new Set<number>();
  for (const [orgId, granted] of auth.orgPermissions) if (granted.has(permission)) orgIds.add(orgId);
  if (ORG_ADMIN_PERMISSIONS.has(permission)) for (const orgId of auth.adminOrgIds) orgIds.add(orgId);
  return { global: false, orgIds: [...orgIds].sort((a, b) => a - b) };
}

/** True when `scope` covers an object of organization `orgId` (null: a global object, global scope only). */
export function inScope(scope: Scope, orgId: number | null): boolean {
  return scope.global || (orgId !== null && scope.orgIds.includes(orgId));
}

/**
 * 403 when the caller may use the permission nowhere: for routes open to organization admins
 * (declared `"authenticated"`), this is the route-level refusal that everybody else gets.
 */
export function assertAnyScope(scope: Scope): void {
  if (!scope.global && scope.orgIds.length === 0) throw forbidden();
}

/** True when the caller may see organization `orgId`: `organizations:read`, or membership of it. */
export function canSeeOrganization(auth: AuthContext, orgId: number): boolean {
  return canInOrg(auth, "organizations:read", orgId) || auth.memberOrgIds.includes(orgId);
}

/**
 * Passes when `scope` covers organization `orgId` (null: global). Otherwise 404 when the caller can't
 * even see that organization, else 403.
 */
export function assertInScope(auth: AuthContext, scope: Scope, orgId: number | null): void {
  if (inScope(scope, orgId)) return;
  if (orgId !== null && !canSeeOrganization(auth, orgId)) throw notFound("Organization", orgId);
  throw forbidden();
}

/** 403 FIELD_NOT_ALLOWED naming the body fields that the caller may not set. */
export function fieldsNotAllowed(fields: readonly string[], requirement: string): AppError {
  return new AppError(403, "FIELD_NOT_ALLOWED", `Setting ${fields.join(", ")} requires ${requirement}`);
}
