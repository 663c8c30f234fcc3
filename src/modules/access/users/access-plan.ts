import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../../../db/client";
import type { AuthContext } from "../../../lib/access";
import { invalid } from "../../../lib/errors";
import { DEFAULT_ROLE, SUPERUSER_ROLE, type SystemRole } from "../../../lib/permissions";
import { AccessErrors } from "../errors";
import { existingOrganizationsQuery } from "../organizations/organization-repository";
import { type RoleRow, roleRowsOf, rolesQuery } from "../roles/role-repository";
import { assertCanChangeRoleIds } from "../rules";

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

/** A read of the first batch of a write: drizzle queries, run together by `readAll()`. */
export type Read = BatchItem<"sqlite">;

/** Runs `queries` as one `db.batch()` (one round trip; none when there are none); each query's rows. */
export async function readAll(db: Db, queries: readonly Read[]): Promise<unknown[][]> {
  if (!queries.length) return [];
  return (await db.batch(queries as unknown as [Read, ...Read[]])) as unknown[][];
}

/**
 * How a write changes, and may change, a user's roles and organizations, in two steps so that its
 * reads join the write's first batch: `queries` are the reads (the system role `role` names, or the
 * default role of a new user that names none; the roles `role_ids` names and, for an existing user,
 * the ones it holds; the organizations `organization_ids` names), none when the body has no access
 * field; `plan()` judges their rows (in the same order) once the batch has run:
 * - `role` replaces the user's system roles, `role_ids` all of its roles; unknown ids are 404;
 * - leaving an organization drops the user's roles scoped to it, and naming such a role in `role_ids`
 *   for an organization the user won't belong to is a 422;
 * - the caller must hold every permission of every role added or removed (403 PRIVILEGE_ESCALATION),
 *   except the default role that a new user gets when none is named (self-registration grants it too).
 *
 * `user` is the id of the user changed, or "new" for one the write creates.
 */
export function accessRead(db: Db, input: AccessInput, user: number | "new") {
  const useDefault = user === "new" && !input.role && !input.role_ids;
  const systemRoleName = input.role ?? (useDefault ? DEFAULT_ROLE : undefined);
  const requested = input.role_ids ? unique(input.role_ids) : undefined;
  const heldBy = user !== "new" && (input.role || input.role_ids || input.organization_ids) ? user : undefined;
  const readsRoles = systemRoleName !== undefined || Boolean(requested?.length) || heldBy !== undefined;
  const named = input.organization_ids ? unique(input.organization_ids) : [];
  const queries: Read[] = [];
  if (readsRoles) queries.push(rolesQuery(db, { ids: requested ?? [], heldBy, systemRole: systemRoleName }));
  if (named.length) queries.push(existingOrganizationsQuery(db, named));

  function plan(
    auth: AuthContext,
    current: { roleIds: readonly number[]; orgIds: readonly number[] },
    results: readonly unknown[][],
  ): AccessPlan {
    const found = readsRoles ? roleRowsOf(results[0] ?? []) : [];
    const existing = new Set(
      named.length ? ((results[readsRoles ? 1 : 0] ?? []) as { id: number }[]).map((r) => r.id) : [],
    );
    const roles = new Map<number, RoleRow>(found.map((r) => [r.id, r]));
    const systemRole = found.find((r) => r.isSystem && r.organizationId === null && r.name === systemRoleName);
    if (systemRoleName && !systemRole) throw AccessErrors.ROLE_NOT_FOUND(systemRoleName, "name");

    const nextOrgIds = input.organization_ids ? named : [...current.orgIds];
    const joinedOrgIds = minus(nextOrgIds, current.orgIds);
    const missingOrg = joinedOrgIds.find((id) => !existing.has(id));
    if (missingOrg !== undefined) throw AccessErrors.ORGANIZATION_NOT_FOUND(missingOrg);

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
    if (!useDefault) assertCanChangeRoleIds(auth, [...addedRoleIds, ...removedRoleIds], roles);
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
  return { queries, plan };
}

/** True when the plan changes nothing. */
export function isEmptyPlan(plan: AccessPlan): boolean {
  return (
    !plan.addedRoleIds.length && !plan.removedRoleIds.length && !plan.joinedOrgIds.length && !plan.leftOrgIds.length
  );
}
