import { type ConstraintErrors, runBatch, type Statement } from "../../../db/statement";
import { type AuthContext, inScope, type Scope, scopeOf } from "../../../lib/access";
import { isoNow } from "../../../lib/clock";
import { HttpErrors } from "../../../lib/errors";
import { nameKey } from "../../../lib/names";
import { listOf, type Page } from "../../../lib/pagination";
import { ROLE_ALIASES, SYSTEM_ROLES } from "../../../lib/permissions";
import type { Deps } from "../../../middleware/deps";
import { changeAudit } from "../change-audit";
import { AccessErrors } from "../errors";
import {
  findPermissionsByIds,
  type PermissionRow,
  type PermissionsRead,
  permissionsByIdsStatement,
} from "../permissions/permission-repository";
import { assertCanGrant, assertInScope } from "../rules";
import {
  deleteUnassignedRoleStatement,
  findRole,
  grantPermissionsStatement,
  grantToNewRoleStatement,
  insertRoleStatement,
  isRoleAssigned,
  listRoles as listRoleRows,
  newRoleStatement,
  type RoleRow,
  revokePermissionsStatement,
  roleStatement,
  touchRoleStatement,
  updateRoleStatement,
} from "./role-repository";
import type { RoleView } from "./schemas";

/** The API's representation of a role. */
export function toRoleView(row: RoleRow): RoleView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    organization_id: row.organizationId,
    is_system: row.isSystem,
    permission_ids: row.permissionIds,
    permissions: row.permissionKeys,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

const keyOf = (p: PermissionRow) => `${p.resource}:${p.action}`;

/** A new role's constraint failures: its name taken, or its organization deleted meanwhile. */
const roleCreateErrors = (name: string, orgId: number | null): ConstraintErrors => ({
  unique: () => AccessErrors.ROLE_NAME_TAKEN(name),
  ...(orgId === null ? {} : { foreignKey: () => AccessErrors.ORGANIZATION_NOT_FOUND(orgId) }),
});

/** A role change's constraint failures: its new name taken, or a permission deleted meanwhile. */
const roleChangeErrors = (name: string): ConstraintErrors => ({
  unique: () => AccessErrors.ROLE_NAME_TAKEN(name),
  foreignKey: () => HttpErrors.CONFLICT("A referenced permission was deleted meanwhile; try again"),
});

/** System role names and their aliases (`MANAGER`) are reserved in every scope, so that a custom role never looks like one. */
function assertNameFree(name: string): void {
  const key = nameKey(name);
  if ([...SYSTEM_ROLES, ...Object.keys(ROLE_ALIASES)].some((r) => nameKey(r) === key))
    throw AccessErrors.ROLE_NAME_TAKEN(name);
}

/** `row`, role `id` as read, when the caller may see it (with `roles:read` or the route's permission where the role lives), else 404. */
function visible(auth: AuthContext, scope: Scope, id: number, row: RoleRow | undefined): RoleRow {
  const org = row?.organizationId ?? null;
  if (!row || !(inScope(scopeOf(auth, "roles:read"), org) || inScope(scope, org))) {
    throw AccessErrors.ROLE_NOT_FOUND(id);
  }
  return row;
}

/** A role the caller may see, else 404. */
async function visibleRole(deps: Deps, auth: AuthContext, scope: Scope, id: number): Promise<RoleRow> {
  return visible(auth, scope, id, await findRole(deps.db, id));
}

/** A read of the permissions among `ids` (distinct) to batch, or none for no ids. */
const permissionsRead = (deps: Deps, ids: readonly number[]): PermissionsRead | undefined =>
  ids.length === 0 ? undefined : permissionsByIdsStatement(deps.db, ids);

/**
 * The permissions `ids` (distinct) among the rows `found` that a role of organization `orgId` may
 * hold: global ones and that organization's own. Any other id is, from the role's point of view,
 * not found (the first such id, in the order given).
 */
function usablePermissions(ids: readonly number[], found: readonly PermissionRow[], orgId: number | null) {
  const byId = new Map(found.map((p) => [p.id, p]));
  return ids.map((id) => {
    const p = byId.get(id);
    if (!p || (p.organizationId !== null && p.organizationId !== orgId)) throw AccessErrors.PERMISSION_NOT_FOUND(id);
    return p;
  });
}

/**
 * Statements that make `role`'s permissions exactly `wanted` (usable, as `usablePermissions` gives
 * them). Only permissions the caller holds are added; removing needs nothing more than the right to
 * update the role.
 */
function permissionChanges(deps: Deps, auth: AuthContext, role: RoleRow, wanted: readonly PermissionRow[]) {
  const current = new Set(role.permissionIds);
  const added = wanted.filter((p) => !current.has(p.id));
  assertCanGrant(auth, added.map(keyOf), role.organizationId);
  const wantedIds = new Set(wanted.map((p) => p.id));
  const removed = role.permissionIds.filter((id) => !wantedIds.has(id));
  return [
    revokePermissionsStatement(deps.d1, role.id, removed),
    grantPermissionsStatement(
      deps.d1,
      role.id,
      added.map((p) => p.id),
    ),
  ] as const;
}

/** A page of the roles the caller may see: all with a global scope, else its organizations' roles. */
export async function listRoles(deps: Deps, scope: Scope, organizationId: number | undefined, page: Page) {
  const { rows, total } = await listRoleRows(
    deps.db,
    { visibleOrgIds: scope.global ? null : scope.orgIds, organizationId },
    page,
  );
  return listOf("roles", rows.map(toRoleView), total, page);
}

/** One role the caller may see (404 otherwise). */
export async function getRole(deps: Deps, auth: AuthContext, scope: Scope, id: number): Promise<RoleView> {
  return toRoleView(await visibleRole(deps, auth, scope, id));
}

/** Creates a custom role, global or of an organization in the caller's scope, with permissions the caller holds there. */
export async function createRole(
  deps: Deps,
  auth: AuthContext,
  scope: Scope,
  input: {
    name: string;
    description?: string | null | undefined;
    organization_id?: number | null | undefined;
    permission_ids?: number[] | undefined;
  },
): Promise<RoleView> {
  const orgId = input.organization_id ?? null;
  assertInScope(auth, scope, orgId);
  assertNameFree(input.name);
  const ids = [...new Set(input.permission_ids ?? [])];
  const granted = usablePermissions(ids, await findPermissionsByIds(deps.db, ids), orgId);
  assertCanGrant(auth, granted.map(keyOf), orgId);
  const ref = { name: input.name, organizationId: orgId };
  const view = newRoleStatement(deps.db, ref);
  const [, , , rows] = await runBatch(
    deps.d1,
    [
      insertRoleStatement(deps.d1, { ...ref, description: input.description ?? null }, isoNow(deps.clock)),
      grantToNewRoleStatement(
        deps.d1,
        ref,
        granted.map((p) => p.id),
      ),
      changeAudit(
        deps,
        auth,
        "role_created",
        `role '${input.name}' (organization ${orgId ?? "none"}), permissions [${granted.map((p) => p.id).join(",")}]`,
      ),
      view.statement,
    ],
    roleCreateErrors(input.name, orgId),
  );
  const row = view.row(rows);
  if (!row) throw new Error("role insert returned no row");
  return toRoleView(row);
}

/** `row`, role `id` as read, when it is a custom role in the caller's scope; 404 when unseen, and system roles are read-only (409). */
function manageable(auth: AuthContext, scope: Scope, id: number, row: RoleRow | undefined): RoleRow {
  const role = visible(auth, scope, id, row);
  if (role.isSystem) throw AccessErrors.SYSTEM_ROLE_READ_ONLY(id);
  assertInScope(auth, scope, role.organizationId);
  return role;
}

/**
 * Role `id` and the permissions among `permissionIds` (distinct), read in one batch (the ids are
 * known up front): what a change of the role is decided on.
 */
async function roleAndPermissions(deps: Deps, id: number, permissionIds: readonly number[]) {
  const role = roleStatement(deps.db, id);
  const named = permissionsRead(deps, permissionIds);
  const [roleRows, permissionRows] = await runBatch(
    deps.d1,
    named ? [role.statement, named.statement] : [role.statement],
  );
  return { row: role.row(roleRows), found: named && permissionRows ? named.rows(permissionRows) : [] };
}

/** Renames or describes a custom role and, with `permission_ids`, replaces its permissions. */
export async function updateRole(
  deps: Deps,
  auth: AuthContext,
  scope: Scope,
  id: number,
  input: { name?: string | undefined; description?: string | null | undefined; permission_ids?: number[] | undefined },
): Promise<RoleView> {
  const ids = input.permission_ids && [...new Set(input.permission_ids)];
  const { row, found } = await roleAndPermissions(deps, id, ids ?? []);
  const role = manageable(auth, scope, id, row);
  const name = input.name ?? role.name;
  if (nameKey(name) !== nameKey(role.name)) assertNameFree(name);
  const description = input.description === undefined ? role.description : input.description;
  const statements: Statement[] = [updateRoleStatement(deps.d1, id, { name, description }, isoNow(deps.clock))];
  if (ids) statements.push(...permissionChanges(deps, auth, role, usablePermissions(ids, found, role.organizationId)));
  const what = [input.name === undefined ? "" : `name '${name}'`, input.description === undefined ? "" : "description"];
  if (ids) what.push(`permissions [${ids.join(",")}]`);
  statements.push(changeAudit(deps, auth, "role_updated", `role ${id}: ${what.filter(Boolean).join(", ")}`));
  const view = roleStatement(deps.db, id);
  const results = await runBatch(deps.d1, [...statements, view.statement], roleChangeErrors(name));
  return toRoleView(view.row(results.at(-1) ?? []) ?? role);
}

/** Replaces a custom role's permissions; only permissions the caller holds may be added. */
export async function setRolePermissions(
  deps: Deps,
  auth: AuthContext,
  scope: Scope,
  id: number,
  permissionIds: number[],
): Promise<RoleView> {
  const ids = [...new Set(permissionIds)];
  const { row, found } = await roleAndPermissions(deps, id, ids);
  const role = manageable(auth, scope, id, row);
  const statements = permissionChanges(deps, auth, role, usablePermissions(ids, found, role.organizationId));
  const view = roleStatement(deps.db, id);
  const [, , , , rows] = await runBatch(
    deps.d1,
    [
      ...statements,
      touchRoleStatement(deps.d1, id, isoNow(deps.clock)),
      changeAudit(deps, auth, "role_updated", `role ${id}: permissions [${ids.join(",")}]`),
      view.statement,
    ],
    roleChangeErrors(role.name),
  );
  return toRoleView(view.row(rows) ?? role);
}

/** Deletes a custom role that nobody holds (409 ROLE_IN_USE otherwise: unassign it first). */
export async function deleteRole(deps: Deps, auth: AuthContext, scope: Scope, id: number): Promise<void> {
  manageable(auth, scope, id, await findRole(deps.db, id));
  const [[deleted]] = await runBatch(deps.d1, [
    deleteUnassignedRoleStatement(deps.d1, id),
    changeAudit(deps, auth, "role_deleted", `role ${id}`, true),
  ]);
  if (deleted) return;
  if (await isRoleAssigned(deps.db, id)) throw AccessErrors.ROLE_IN_USE(id);
  throw AccessErrors.ROLE_NOT_FOUND(id);
}
