import type { Store } from "../../db/client";
import { conflict, isForeignKeyViolation, isUniqueViolation, notFound } from "../../lib/errors";
import { listOf, type Page } from "../../lib/pagination";
import { SYSTEM_ROLES } from "../../lib/permissions";
import type { AuthContext } from "../auth/auth-context";
import { assertAnyScope, assertInScope, inScope, type Scope, scopeOf } from "../organizations/org-scope";
import { findPermissionsByIds, type PermissionRow } from "../permissions/permission-repository";
import { privilegeEscalation, ungrantable } from "./grant-rules";
import {
  deleteUnassignedRoleStatement,
  findRole,
  grantPermissionsStatement,
  grantToNewRoleStatement,
  insertRoleStatement,
  isRoleAssigned,
  listRoles as listRoleRows,
  type RoleRow,
  revokePermissionsStatement,
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

const nameTaken = (name: string) => conflict(`Role '${name}' already exists`, "ROLE_NAME_TAKEN");
const systemReadOnly = (id: number) =>
  conflict(`Role ${id} is a system role and can't be changed or deleted`, "SYSTEM_ROLE_READ_ONLY");
const concurrentChange = () => conflict("A referenced permission was deleted meanwhile; try again");
const keyOf = (p: PermissionRow) => `${p.resource}:${p.action}`;

/** System role names are reserved in every scope, so that a custom role never looks like one. */
function assertNameFree(name: string): void {
  if (SYSTEM_ROLES.some((r) => r.toLowerCase() === name.toLowerCase())) throw nameTaken(name);
}

/** A role the caller may see (with `roles:read` or the permission it is about to use), else 404. */
async function visibleRole(deps: Store, auth: AuthContext, id: number, actionScope: Scope): Promise<RoleRow> {
  const row = await findRole(deps.db, id);
  const org = row?.organizationId ?? null;
  if (!row || !(inScope(scopeOf(auth, "roles:read"), org) || inScope(actionScope, org))) throw notFound("Role", id);
  return row;
}

/**
 * The permissions a role of organization `orgId` may hold: global ones and that organization's own.
 * Any other id is, from the role's point of view, not found.
 */
async function usablePermissions(deps: Store, ids: readonly number[], orgId: number | null) {
  const unique = [...new Set(ids)];
  const byId = new Map((await findPermissionsByIds(deps.db, unique)).map((p) => [p.id, p]));
  return unique.map((id) => {
    const p = byId.get(id);
    if (!p || (p.organizationId !== null && p.organizationId !== orgId)) throw notFound("Permission", id);
    return p;
  });
}

/** 403 unless the caller holds every permission it adds (in the role's organization, or globally). */
function assertCanGrant(auth: AuthContext, added: readonly PermissionRow[], orgId: number | null): void {
  const missing = ungrantable(auth, added.map(keyOf), orgId);
  if (missing.length) throw privilegeEscalation(`You can't grant permissions you don't hold: ${missing.join(", ")}`);
}

/**
 * Statements that make `role`'s permissions exactly `ids`. Only permissions the caller holds are
 * added; removing needs nothing more than the right to update the role.
 */
async function permissionChanges(deps: Store, auth: AuthContext, role: RoleRow, ids: readonly number[]) {
  const wanted = await usablePermissions(deps, ids, role.organizationId);
  const current = new Set(role.permissionIds);
  const added = wanted.filter((p) => !current.has(p.id));
  assertCanGrant(auth, added, role.organizationId);
  const wantedIds = new Set(wanted.map((p) => p.id));
  const removed = role.permissionIds.filter((id) => !wantedIds.has(id));
  return [
    revokePermissionsStatement(deps.d1, role.id, removed),
    grantPermissionsStatement(
      deps.d1,
      role.id,
      added.map((p) => p.id),
    ),
  ];
}

/** A page of the roles the caller may see: all with global `roles:read`, else its organizations' roles. */
export async function listRoles(deps: Store, auth: AuthContext, organizationId: number | undefined, page: Page) {
  const scope = scopeOf(auth, "roles:read");
  assertAnyScope(scope);
  const { rows, total } = await listRoleRows(
    deps.db,
    { visibleOrgIds: scope.global ? null : scope.orgIds, organizationId },
    page,
  );
  return listOf("roles", rows.map(toRoleView), total, page);
}

/** One role the caller may see (404 otherwise). */
export async function getRole(deps: Store, auth: AuthContext, id: number): Promise<RoleView> {
  const scope = scopeOf(auth, "roles:read");
  assertAnyScope(scope);
  return toRoleView(await visibleRole(deps, auth, id, scope));
}

/**
 * Creates a custom role, global (needs `roles:create` globally) or scoped to an organization the caller
 * may manage, with permissions the caller holds there.
 */
export async function createRole(
  deps: Store,
  auth: AuthContext,
  input: {
    name: string;
    description?: string | null | undefined;
    organization_id?: number | null | undefined;
    permission_ids?: number[] | undefined;
  },
): Promise<RoleView> {
  const scope = scopeOf(auth, "roles:create");
  assertAnyScope(scope);
  const orgId = input.organization_id ?? null;
  assertInScope(auth, scope, orgId);
  assertNameFree(input.name);
  const granted = await usablePermissions(deps, input.permission_ids ?? [], orgId);
  assertCanGrant(auth, granted, orgId);
  const ref = { name: input.name, organizationId: orgId };
  let id: number | undefined;
  try {
    const [inserted] = await deps.d1.batch([
      insertRoleStatement(deps.d1, { ...ref, description: input.description ?? null }),
      grantToNewRoleStatement(
        deps.d1,
        ref,
        granted.map((p) => p.id),
      ),
    ]);
    id = (inserted?.results[0] as { id: number } | undefined)?.id;
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(input.name);
    if (orgId !== null && isForeignKeyViolation(err)) throw notFound("Organization", orgId);
    throw err;
  }
  const row = id === undefined ? undefined : await findRole(deps.db, id);
  if (!row) throw new Error("role insert returned no row");
  return toRoleView(row);
}

/** A custom role that the caller may change with `permission`; system roles are read-only (409). */
async function manageableRole(deps: Store, auth: AuthContext, id: number, scope: Scope): Promise<RoleRow> {
  assertAnyScope(scope);
  const row = await visibleRole(deps, auth, id, scope);
  if (row.isSystem) throw systemReadOnly(id);
  assertInScope(auth, scope, row.organizationId);
  return row;
}

async function runChanges(deps: Store, statements: D1PreparedStatement[], name: string): Promise<void> {
  try {
    await deps.d1.batch(statements);
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(name);
    if (isForeignKeyViolation(err)) throw concurrentChange();
    throw err;
  }
}

/** Renames or describes a custom role and, with `permission_ids`, replaces its permissions. */
export async function updateRole(
  deps: Store,
  auth: AuthContext,
  id: number,
  input: { name?: string | undefined; description?: string | null | undefined; permission_ids?: number[] | undefined },
): Promise<RoleView> {
  const role = await manageableRole(deps, auth, id, scopeOf(auth, "roles:update"));
  const name = input.name ?? role.name;
  if (name.toLowerCase() !== role.name.toLowerCase()) assertNameFree(name);
  const description = input.description === undefined ? role.description : input.description;
  const statements = [updateRoleStatement(deps.d1, id, { name, description })];
  if (input.permission_ids) statements.push(...(await permissionChanges(deps, auth, role, input.permission_ids)));
  await runChanges(deps, statements, name);
  return toRoleView((await findRole(deps.db, id)) ?? role);
}

/** Replaces a custom role's permissions; only permissions the caller holds may be added. */
export async function setRolePermissions(
  deps: Store,
  auth: AuthContext,
  id: number,
  permissionIds: number[],
): Promise<RoleView> {
  const role = await manageableRole(deps, auth, id, scopeOf(auth, "roles:update"));
  const statements = await permissionChanges(deps, auth, role, permissionIds);
  await runChanges(deps, [...statements, touchRoleStatement(deps.d1, id)], role.name);
  return toRoleView((await findRole(deps.db, id)) ?? role);
}

/** Deletes a custom role that nobody holds (409 ROLE_IN_USE otherwise: unassign it first). */
export async function deleteRole(deps: Store, auth: AuthContext, id: number): Promise<void> {
  await manageableRole(deps, auth, id, scopeOf(auth, "roles:delete"));
  if (await deleteUnassignedRoleStatement(deps.d1, id).first()) return;
  if (await isRoleAssigned(deps.db, id)) {
    throw conflict(`Role ${id} is still assigned to users; unassign it first`, "ROLE_IN_USE");
  }
  throw notFound("Role", id);
}
