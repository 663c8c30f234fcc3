import type { Permission } from "../../lib/permissions";

/**
 * Who is calling, as read by `authenticate()` in one database round trip: the user's current
 * active flag, roles and permissions, so a removed role or deactivation applies on the next request.
 */
export interface AuthContext {
  userId: number;
  username: string;
  /** The session (refresh family) the access token belongs to. */
  sessionId: string;
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
