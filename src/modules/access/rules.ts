import { type AuthContext, can, canInOrg, inScope, type Scope, scopeOf } from "../../lib/access";
import { HttpErrors } from "../../lib/errors";
import { ALL_PERMISSIONS, DEFAULT_ROLE, type Permission, SYSTEM_ROLE_PERMISSIONS } from "../../lib/permissions";
import { AccessErrors } from "./errors";

/**
 * The access-control rules that are not a route's own permission check: who may see which user and
 * organization, and who may grant what. Pure functions of the caller and the objects; the services
 * apply them, the routes' descriptions state them.
 */

const CATALOG: ReadonlySet<string> = new Set(ALL_PERMISSIONS);

/** True when `key` (`resource:action`) is one of the permissions that this API's routes check. */
export function isCatalogKey(key: string): key is Permission {
  return CATALOG.has(key);
}

/** True when the caller may see user `id`: itself, or with `users:read`. Others answer 404. */
export function canSeeUser(auth: AuthContext, id: number): boolean {
  return auth.userId === id || can(auth, "users:read");
}

/**
 * Whose users the caller may see besides itself, for naming them as members or admins: null for
 * everyone (`users:read` globally), else the members of the organizations its `users:read` reaches
 * (as a role there or as their admin). Any other user answers exactly as a missing one (404
 * USER_NOT_FOUND), so that adding members can't probe the user directory.
 */
export function userVisibility(auth: AuthContext): readonly number[] | null {
  const scope = scopeOf(auth, "users:read");
  return scope.global ? null : scope.orgIds;
}

/** True when the caller may see organization `orgId`: `organizations:read` there, or membership of it. */
export function canSeeOrganization(auth: AuthContext, orgId: number): boolean {
  return canInOrg(auth, "organizations:read", orgId) || auth.memberOrgIds.includes(orgId);
}

/**
 * Passes when `scope` covers organization `orgId` (null: global). Otherwise 404 when the caller can't
 * even see that organization, else 403.
 */
export function assertInScope(auth: AuthContext, scope: Scope, orgId: number | null): void {
  if (inScope(scope, orgId)) return;
  if (orgId !== null && !canSeeOrganization(auth, orgId)) throw AccessErrors.ORGANIZATION_NOT_FOUND(orgId);
  throw HttpErrors.FORBIDDEN();
}

/**
 * The permission keys among `keys` that the caller may not grant where a grant would apply
 * (`orgId` null: globally; otherwise in that organization, where global grants count too).
 * A caller may only grant what it holds itself. Custom keys (outside the catalog) gate no route of
 * this API, so whoever may manage the role may grant them; a custom permission can't take a catalog
 * key (see the permissions service), so this can't be used to escalate.
 */
export function ungrantable(auth: AuthContext, keys: Iterable<string>, orgId: number | null): string[] {
  const missing = new Set<string>();
  for (const key of keys) {
    if (!isCatalogKey(key)) continue;
    const held = orgId === null ? can(auth, key) : canInOrg(auth, key, orgId);
    if (!held) missing.add(key);
  }
  return [...missing].sort();
}

/** Role data that grant checks need. */
export interface GrantableRole {
  id: number;
  name: string;
  organizationId: number | null;
  permissionKeys: readonly string[];
}

/**
 * 403 PRIVILEGE_ESCALATION unless the caller holds every permission of every role it assigns or
 * removes: nobody grants (or takes away) a role more powerful than itself.
 */
export function assertCanChangeRoles(auth: AuthContext, roles: readonly GrantableRole[]): void {
  for (const role of roles) {
    const missing = ungrantable(auth, role.permissionKeys, role.organizationId);
    if (missing.length) {
      throw AccessErrors.PRIVILEGE_ESCALATION(
        `You can't assign or remove role '${role.name}': it grants permissions you don't hold (${missing.join(", ")})`,
      );
    }
  }
}

/**
 * `assertCanChangeRoles()` for the roles `ids`, judged on the `rows` read for them: an id without its
 * row is refused (fail closed), never skipped.
 */
export function assertCanChangeRoleIds(
  auth: AuthContext,
  ids: readonly number[],
  rows: ReadonlyMap<number, GrantableRole>,
): void {
  assertCanChangeRoles(
    auth,
    ids.map((id) => {
      const row = rows.get(id);
      if (!row) throw AccessErrors.PRIVILEGE_ESCALATION(`Role ${id} could not be checked; try again`);
      return row;
    }),
  );
}

/** 403 PRIVILEGE_ESCALATION unless the caller holds every permission in `keys`, where they would apply. */
export function assertCanGrant(auth: AuthContext, keys: readonly string[], orgId: number | null): void {
  const missing = ungrantable(auth, keys, orgId);
  if (missing.length) {
    throw AccessErrors.PRIVILEGE_ESCALATION(`You can't grant permissions you don't hold: ${missing.join(", ")}`);
  }
}

/**
 * 403 PRIVILEGE_ESCALATION unless the caller holds every catalog permission that `targetKeys` (another
 * user's global permissions) holds: nobody changes the profile, access or status of a more privileged
 * user (an email change alone would let it take the account over by magic link).
 */
export function assertNotMorePrivileged(auth: AuthContext, targetKeys: readonly string[]): void {
  const missing = ungrantable(auth, targetKeys, null);
  if (missing.length) {
    throw AccessErrors.PRIVILEGE_ESCALATION(
      `You can't change a user who holds permissions you don't hold (${missing.join(", ")})`,
    );
  }
}

/** What every self-registered account holds: the default role's permissions. */
const BASELINE: ReadonlySet<string> = new Set(SYSTEM_ROLE_PERMISSIONS[DEFAULT_ROLE]);

/**
 * 403 PRIVILEGE_ESCALATION unless the caller holds every catalog permission of the user it would sign
 * in as (a one-time login link), apart from the baseline that every account gets at registration (the
 * default role's): an integration (role API) hands links to ordinary employees, while a knowledge
 * manager still can't sign in as an administrator. Changing another user keeps the stricter
 * `assertNotMorePrivileged`.
 */
export function assertMaySignInAs(auth: AuthContext, targetKeys: readonly string[]): void {
  const missing = ungrantable(
    auth,
    targetKeys.filter((key) => !BASELINE.has(key)),
    null,
  );
  if (missing.length) {
    throw AccessErrors.PRIVILEGE_ESCALATION(
      `You can't sign in as a user who holds permissions you don't hold (${missing.join(", ")})`,
    );
  }
}
