import type { Permission } from "./permissions";

/**
 * Who is calling: the user's roles, permissions and memberships, as its access token carries them
 * (claim `az`, checked against `users.authz_version` in the request's first D1 round trip, so that
 * a removed role or a deactivation applies on the next request), or as `authenticate()` reads them
 * for a token without the claim.
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
 * `ORG_ADMIN_PERMISSIONS`. Routes get it resolved by their guard as `c.get("scope")`.
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

/**
 * The authorization an access token carries (claim `az`): what `AuthContext` needs besides the
 * token's `sub` and `sid`, and `v`, the user's `authz_version` when it was issued.
 */
export interface AuthzClaim {
  v: number;
  u: string;
  c: string;
  r: string[];
  p: string[];
  o: Record<string, string[]>;
  m: number[];
  a: number[];
}

/** The `az` claim of a caller's context at authorization version `version`. */
export function authzClaimOf(context: Omit<AuthContext, "via">, version: number): AuthzClaim {
  return {
    v: version,
    u: context.username,
    c: context.sessionCreatedAt,
    r: [...context.roles],
    p: [...context.permissions],
    o: Object.fromEntries([...context.orgPermissions].map(([org, perms]) => [String(org), [...perms]])),
    m: [...context.memberOrgIds],
    a: [...context.adminOrgIds],
  };
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");
const isInts = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isSafeInteger(x));

/** The context an `az` claim describes, or undefined when the claim is missing or malformed. */
export function contextFromClaim(
  claim: unknown,
  userId: number,
  sessionId: string,
): { context: Omit<AuthContext, "via">; version: number } | undefined {
  if (typeof claim !== "object" || claim === null) return undefined;
  const az = claim as Partial<AuthzClaim>;
  if (!Number.isSafeInteger(az.v) || typeof az.u !== "string" || typeof az.c !== "string") return undefined;
  if (!isStrings(az.r) || !isStrings(az.p) || !isInts(az.m) || !isInts(az.a)) return undefined;
  if (typeof az.o !== "object" || az.o === null) return undefined;
  const orgPermissions = new Map<number, ReadonlySet<string>>();
  for (const [org, perms] of Object.entries(az.o)) {
    if (!isStrings(perms) || !Number.isSafeInteger(Number(org))) return undefined;
    orgPermissions.set(Number(org), new Set(perms));
  }
  return {
    version: az.v as number,
    context: {
      userId,
      username: az.u,
      sessionId,
      sessionCreatedAt: az.c,
      roles: az.r,
      permissions: new Set(az.p),
      orgPermissions,
      memberOrgIds: az.m,
      adminOrgIds: az.a,
    },
  };
}
