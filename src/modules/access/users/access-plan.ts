import type { AuthContext } from "../../../lib/access";
import { invalid } from "../../../lib/errors";
import { DEFAULT_ROLE, SUPERUSER_ROLE, type SystemRole } from "../../../lib/permissions";
import type { Deps } from "../../../middleware/deps";
import { AccessErrors } from "../errors";
import { existingOrganizationIds } from "../organizations/organization-repository";
import { findRolesByIds, findSystemRole, type RoleRow } from "../roles/role-repository";
import { assertCanChangeRoles } from "../rules";

/** The role and membership changes that one write makes to a user. */
export interface AccessPlan {
  addedRoleIds: number[];
  removedRoleIds: number[];
  joinedOrgIds: number[];
  leftOrgIds: number[];
  /** True when the write takes `SUPERUSER_ROLE` away: it must then carry the last-admin guard. */
  demotesSuperuser: boolean;
}

/** The access fields of a request. */
export interface AccessInput {
  role?: SystemRole | undefined;
  role_ids?: number[] | undefined;
  organization_ids?: number[] | undefined;
}

const unique = (ids: readonly number[]) => [...new Set(ids)];
const minus = (a: readonly number[], b: readonly number[]) => a.filter((x) => !b.includes(x));

/**
 * Works out, and authorizes, how a write changes a user's roles and organizations:
 * - `role` replaces the user's system roles, `role_ids` all of its roles; unknown ids are 404;
 * - leaving an organization drops the user's roles scoped to it, and naming such a role in `role_ids`
 *   for an organization the user won't belong to is a 422;
 * - the caller must hold every permission of every role added or removed (403 PRIVILEGE_ESCALATION),
 *   except the default role that a new user gets when none is named (self-registration grants it too).
 */
export async function planAccess(
  deps: Deps,
  auth: AuthContext,
  current: { roleIds: readonly number[]; orgIds: readonly number[] },
  input: AccessInput,
  opts: { defaultRoleForNewUser?: boolean } = {},
): Promise<AccessPlan> {
  const useDefault = opts.defaultRoleForNewUser === true && !input.role && !input.role_ids;
  const systemRoleName = input.role ?? (useDefault ? DEFAULT_ROLE : undefined);
  const requested = input.role_ids ? unique(input.role_ids) : undefined;
  const [systemRole, known] = await Promise.all([
    systemRoleName ? findSystemRole(deps.db, systemRoleName) : Promise.resolve(undefined),
    findRolesByIds(deps.db, unique([...current.roleIds, ...(requested ?? [])])),
  ]);
  const roles = new Map<number, RoleRow>(known.map((r) => [r.id, r]));
  if (systemRoleName && !systemRole) throw AccessErrors.ROLE_NOT_FOUND(systemRoleName, "name");
  if (systemRole) roles.set(systemRole.id, systemRole);

  const nextOrgIds = input.organization_ids ? unique(input.organization_ids) : [...current.orgIds];
  const joinedOrgIds = minus(nextOrgIds, current.orgIds);
  if (joinedOrgIds.length) {
    const existing = await existingOrganizationIds(deps.db, joinedOrgIds);
    const missing = joinedOrgIds.find((id) => !existing.has(id));
    if (missing !== undefined) throw AccessErrors.ORGANIZATION_NOT_FOUND(missing);
  }

  let nextRoleIds: number[];
  if (systemRole) nextRoleIds = [...current.roleIds.filter((id) => !roles.get(id)?.isSystem), systemRole.id];
  else if (requested) {
    const missing = requested.find((id) => !roles.has(id));
    if (missing !== undefined) throw AccessErrors.ROLE_NOT_FOUND(missing);
    nextRoleIds = requested;
  } else nextRoleIds = [...current.roleIds];
  nextRoleIds = nextRoleIds.filter((id) => {
    const org = roles.get(id)?.organizationId ?? null;
    if (org === null || nextOrgIds.includes(org)) return true;
    if (requested?.includes(id)) {
      throw invalid(
        ["body", "role_ids"],
        `Role ${id} belongs to organization ${org}, which the user is not a member of`,
      );
    }
    return false;
  });

  const addedRoleIds = minus(nextRoleIds, current.roleIds);
  const removedRoleIds = minus(current.roleIds, nextRoleIds);
  const changed = [...addedRoleIds, ...removedRoleIds].flatMap((id) => roles.get(id) ?? []);
  if (!useDefault) assertCanChangeRoles(auth, changed);
  return {
    addedRoleIds,
    removedRoleIds,
    joinedOrgIds,
    leftOrgIds: minus(current.orgIds, nextOrgIds),
    demotesSuperuser: removedRoleIds.some((id) => {
      const r = roles.get(id);
      return r?.isSystem === true && r.organizationId === null && r.name === SUPERUSER_ROLE;
    }),
  };
}

/** True when the plan changes nothing. */
export function isEmptyPlan(plan: AccessPlan): boolean {
  return (
    !plan.addedRoleIds.length && !plan.removedRoleIds.length && !plan.joinedOrgIds.length && !plan.leftOrgIds.length
  );
}
