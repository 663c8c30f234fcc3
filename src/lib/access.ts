import type { Permission } from "./permissions";

/**
 * Who is calling, as read by `authenticate()` in one database round trip: the user's current
 * active flag, roles and permissions, so a removed role or deactivation applies on the next request.
 */
export interface AuthContext {
  userId: number;
  username: string;
  /** The session (refresh family) the access token belongs to. */
  sessionId: string;
  /** When that session was opened: its sign-in (a refresh does not renew it). */
  sessionCreatedAt: string;
  /** System role names and custom role names held globally. */
  roles: string[];
  /** Permissions granted by roles that are not scoped to an organization. */
  permissions: ReadonlySet<string>;
  /** Permissions granted by organization-scoped roles, per organization id. */
  orgPermissions: ReadonlyMap<number, ReadonlySet<string>>;
  /** Organizations the user belongs to. */
  memberOrgIds: readonly number[];
  /** Organizations whose `admin_ids` include the user. */
  adminOrgIds: readonly number[];
  /** How the request authenticated: cookie-authenticated state changes get an origin check. */
  via: "bearer" | "cookie";
}

/** True when the caller holds `permission` globally. */
export function can(auth: AuthContext, permission: Permission): boolean {
  return auth.permissions.has(permission);
}

/** True when the caller holds `permission` globally or through a role scoped to `orgId`. */
export function canInOrg(auth: AuthContext, permission: Permission, orgId: number): boolean {
  return auth.permissions.has(permission) || (auth.orgPermissions.get(orgId)?.has(permission) ?? false);
}

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

/** Where the caller may use a route's permission: everywhere, or only in some organizations. */
export interface Scope {
  permission: Permission;
  global: boolean;
  orgIds: readonly number[];
}

/**
 * The caller's scope for `permission`: global when a global role grants it; otherwise the organizations
 * where an organization-scoped role grants it, plus those it administers when the permission is one of
 * `ORG_ADMIN_PERMISSIONS`. Routes get it resolved by their guard as `c.var.scope`.
 */
export function scopeOf(auth: AuthContext, permission: Permission): Scope {
  if (can(auth, permission)) return { permission, global: true, orgIds: [] };
  const orgIds = new Set<number>();
  for (const [orgId, granted] of auth.orgPermissions) if (granted.has(permission)) orgIds.add(orgId);
  if (ORG_ADMIN_PERMISSIONS.has(permission)) for (const orgId of auth.adminOrgIds) orgIds.add(orgId);
  return { permission, global: false, orgIds: [...orgIds].sort((a, b) => a - b) };
}

/** True when `scope` covers an object of organization `orgId` (null: a global object, global scope only). */
export function inScope(scope: Scope, orgId: number | null): boolean {
  return scope.global || (orgId !== null && scope.orgIds.includes(orgId));
}

/** True when `scope` reaches anywhere at all. */
export const hasAnyScope = (scope: Scope): boolean => scope.global || scope.orgIds.length > 0;
