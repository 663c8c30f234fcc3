import { runBatch } from "../../../db/statement";
import { type AuthContext, inScope, type Scope, scopeOf } from "../../../lib/access";
import { isoNow } from "../../../lib/clock";
import { listOf, type Page } from "../../../lib/pagination";
import { PERMISSION_NAMES } from "../../../lib/permissions";
import type { Deps } from "../../../middleware/deps";
import { changeAudit } from "../change-audit";
import { AccessErrors } from "../errors";
import { assertInScope, isCatalogKey } from "../rules";
import {
  deleteUnusedPermissionStatement,
  findPermission,
  insertPermissionStatement,
  isPermissionInUse,
  isPermissionNameIndex,
  listPermissions as listPermissionRows,
  newPermissionStatement,
  type PermissionRow,
  permissionStatement,
  updatePermissionStatement,
} from "./permission-repository";
import type { PermissionView } from "./schemas";

/** The API's representation of a permission. */
export function toPermissionView(row: PermissionRow): PermissionView {
  return {
    id: row.id,
    name: row.name,
    resource: row.resource,
    action: row.action,
    key: `${row.resource}:${row.action}`,
    description: row.description,
    organization_id: row.organizationId,
    is_system: row.isSystem,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

/**
 * A permission the caller may see, else 404: global permissions are the vocabulary that organization
 * roles are built from, so any caller with some `permissions:read` scope sees them; an organization's
 * own only within that scope.
 */
async function visiblePermission(deps: Deps, auth: AuthContext, id: number): Promise<PermissionRow> {
  const readScope = scopeOf(auth, "permissions:read");
  const row = await findPermission(deps.db, id);
  if (!row || (row.organizationId !== null && !inScope(readScope, row.organizationId))) {
    throw AccessErrors.PERMISSION_NOT_FOUND(id);
  }
  return row;
}

/** A page of the permissions the caller may see. */
export async function listPermissions(
  deps: Deps,
  scope: Scope,
  q: { organizationId?: number | undefined; resource?: string | undefined; action?: string | undefined },
  page: Page,
) {
  const { rows, total } = await listPermissionRows(
    deps.db,
    { ...q, visibleOrgIds: scope.global ? null : scope.orgIds },
    page,
  );
  return listOf("permissions", rows.map(toPermissionView), total, page);
}

/** One permission the caller may see (404 otherwise). */
export async function getPermission(deps: Deps, auth: AuthContext, id: number): Promise<PermissionView> {
  return toPermissionView(await visiblePermission(deps, auth, id));
}

/** The system permissions' names, lower-cased: reserved in every scope, as system role names are. */
const SYSTEM_NAMES = new Set(Object.values(PERMISSION_NAMES).map((n) => n.toLowerCase()));

function assertNameFree(name: string): void {
  if (SYSTEM_NAMES.has(name.toLowerCase())) throw AccessErrors.PERMISSION_NAME_TAKEN(name);
}

/** A failed unique index of a permission write: its name (`PERMISSION_NAME_TAKEN`) or its key (`PERMISSION_EXISTS`). */
const uniqueFailure = (name: string, key: string) => (constraint: string) =>
  isPermissionNameIndex(constraint) ? AccessErrors.PERMISSION_NAME_TAKEN(name) : AccessErrors.PERMISSION_EXISTS(key);

/**
 * Creates a custom permission, global (needs `permissions:create` globally) or scoped to an organization
 * the caller may manage. A catalog key (`users:read`, ...) can't be created again in any scope: the
 * catalog is what routes check, and custom permissions must never stand for it.
 */
export async function createPermission(
  deps: Deps,
  auth: AuthContext,
  scope: Scope,
  input: {
    name: string;
    resource: string;
    action: string;
    description?: string | null | undefined;
    organization_id?: number | null | undefined;
  },
): Promise<PermissionView> {
  const orgId = input.organization_id ?? null;
  assertInScope(auth, scope, orgId);
  const key = `${input.resource}:${input.action}`;
  if (isCatalogKey(key)) throw AccessErrors.PERMISSION_EXISTS(key);
  assertNameFree(input.name);
  const fields = {
    name: input.name,
    resource: input.resource,
    action: input.action,
    description: input.description ?? null,
    organizationId: orgId,
  };
  const view = newPermissionStatement(deps.db, fields);
  const [, , rows] = await runBatch(
    deps.d1,
    [
      insertPermissionStatement(deps.d1, fields, isoNow(deps.clock)),
      changeAudit(deps, auth, "permission_created", `permission '${key}' (organization ${orgId ?? "none"})`),
      view.statement,
    ],
    {
      unique: uniqueFailure(input.name, key),
      ...(orgId === null ? {} : { foreignKey: () => AccessErrors.ORGANIZATION_NOT_FOUND(orgId) }),
    },
  );
  const [row] = view.rows(rows);
  if (!row) throw new Error("permission insert returned no row");
  return toPermissionView(row);
}

function assertManageable(auth: AuthContext, scope: Scope, row: PermissionRow): void {
  if (row.isSystem) throw AccessErrors.SYSTEM_PERMISSION_READ_ONLY(row.id);
  assertInScope(auth, scope, row.organizationId);
}

/** Updates a custom permission's name, resource, action or description. System permissions are read-only (409). */
export async function updatePermission(
  deps: Deps,
  auth: AuthContext,
  scope: Scope,
  id: number,
  input: {
    name?: string | undefined;
    resource?: string | undefined;
    action?: string | undefined;
    description?: string | null | undefined;
  },
): Promise<PermissionView> {
  const row = await visiblePermission(deps, auth, id);
  assertManageable(auth, scope, row);
  const next = {
    name: input.name ?? row.name,
    resource: input.resource ?? row.resource,
    action: input.action ?? row.action,
    description: input.description === undefined ? row.description : input.description,
  };
  const key = `${next.resource}:${next.action}`;
  if (isCatalogKey(key)) throw AccessErrors.PERMISSION_EXISTS(key);
  if (next.name.toLowerCase() !== row.name.toLowerCase()) assertNameFree(next.name);
  const view = permissionStatement(deps.db, id);
  const [[updated], , rows] = await runBatch(
    deps.d1,
    [
      updatePermissionStatement(deps.d1, id, next, isoNow(deps.clock)),
      changeAudit(deps, auth, "permission_updated", `permission ${id}: '${key}'`, true),
      view.statement,
    ],
    { unique: uniqueFailure(next.name, key) },
  );
  if (!updated) throw AccessErrors.PERMISSION_NOT_FOUND(id);
  return toPermissionView(view.rows(rows)[0] ?? row);
}

/** Deletes a custom permission that no role grants (409 PERMISSION_IN_USE otherwise: remove it from the roles first). */
export async function deletePermission(deps: Deps, auth: AuthContext, scope: Scope, id: number): Promise<void> {
  const row = await visiblePermission(deps, auth, id);
  assertManageable(auth, scope, row);
  const [[deleted]] = await runBatch(deps.d1, [
    deleteUnusedPermissionStatement(deps.d1, id),
    changeAudit(deps, auth, "permission_deleted", `permission ${id} '${row.resource}:${row.action}'`, true),
  ]);
  if (deleted) return;
  if (await isPermissionInUse(deps.db, id)) throw AccessErrors.PERMISSION_IN_USE(id);
  throw AccessErrors.PERMISSION_NOT_FOUND(id);
}
