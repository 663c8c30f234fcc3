import type { Store } from "../../db/client";
import { conflict, isForeignKeyViolation, isUniqueViolation, notFound } from "../../lib/errors";
import { listOf, type Page } from "../../lib/pagination";
import type { AuthContext } from "../auth/auth-context";
import { assertAnyScope, assertInScope, inScope, type Scope, scopeOf } from "../organizations/org-scope";
import { isCatalogKey } from "../roles/grant-rules";
import {
  deleteUnusedPermissionStatement,
  findPermission,
  insertPermissionStatement,
  isPermissionInUse,
  listPermissions as listPermissionRows,
  type PermissionRow,
  updatePermissionStatement,
} from "./permission-repository";
import type { PermissionView } from "./schemas";

/** The API's representation of a permission. */
export function toPermissionView(row: PermissionRow): PermissionView {
  return {
    id: row.id,
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

const systemReadOnly = (id: number) =>
  conflict(`Permission ${id} is a system permission and can't be changed or deleted`, "SYSTEM_PERMISSION_READ_ONLY");

const exists = (key: string) => conflict(`Permission '${key}' already exists`, "PERMISSION_EXISTS");

/**
 * A permission the caller may see under `readScope`, else 404. Global permissions are the vocabulary that
 * organization roles are built from, so any caller with some read scope sees them.
 */
async function visiblePermission(deps: Store, auth: AuthContext, id: number): Promise<PermissionRow> {
  const readScope = scopeOf(auth, "permissions:read");
  const row = await findPermission(deps.db, id);
  if (!row || (row.organizationId !== null && !inScope(readScope, row.organizationId))) {
    throw notFound("Permission", id);
  }
  return row;
}

/** A page of the permissions the caller may see. 403 when it may read permissions nowhere. */
export async function listPermissions(
  deps: Store,
  auth: AuthContext,
  q: { organizationId?: number | undefined; resource?: string | undefined; action?: string | undefined },
  page: Page,
) {
  const scope = scopeOf(auth, "permissions:read");
  assertAnyScope(scope);
  const { rows, total } = await listPermissionRows(
    deps.db,
    { ...q, visibleOrgIds: scope.global ? null : scope.orgIds },
    page,
  );
  return listOf("permissions", rows.map(toPermissionView), total, page);
}

/** One permission the caller may see (404 otherwise). */
export async function getPermission(deps: Store, auth: AuthContext, id: number): Promise<PermissionView> {
  assertAnyScope(scopeOf(auth, "permissions:read"));
  return toPermissionView(await visiblePermission(deps, auth, id));
}

/**
 * Creates a custom permission, global (needs `permissions:create` globally) or scoped to an organization
 * the caller may manage. A catalog key (`users:read`, ...) can't be created again in any scope: the
 * catalog is what routes check, and custom permissions must never stand for it.
 */
export async function createPermission(
  deps: Store,
  auth: AuthContext,
  input: {
    resource: string;
    action: string;
    description?: string | null | undefined;
    organization_id?: number | null | undefined;
  },
): Promise<PermissionView> {
  const scope = scopeOf(auth, "permissions:create");
  assertAnyScope(scope);
  const orgId = input.organization_id ?? null;
  assertInScope(auth, scope, orgId);
  const key = `${input.resource}:${input.action}`;
  if (isCatalogKey(key)) throw exists(key);
  let id: number | undefined;
  try {
    const result = await insertPermissionStatement(deps.d1, {
      resource: input.resource,
      action: input.action,
      description: input.description ?? null,
      organizationId: orgId,
    }).first<{ id: number }>();
    id = result?.id;
  } catch (err) {
    if (isUniqueViolation(err)) throw exists(key);
    if (orgId !== null && isForeignKeyViolation(err)) throw notFound("Organization", orgId);
    throw err;
  }
  const row = id === undefined ? undefined : await findPermission(deps.db, id);
  if (!row) throw new Error("permission insert returned no row");
  return toPermissionView(row);
}

function assertManageable(auth: AuthContext, scope: Scope, row: PermissionRow): void {
  if (row.isSystem) throw systemReadOnly(row.id);
  assertInScope(auth, scope, row.organizationId);
}

/** Updates a custom permission's resource, action or description. System permissions are read-only (409). */
export async function updatePermission(
  deps: Store,
  auth: AuthContext,
  id: number,
  input: { resource?: string | undefined; action?: string | undefined; description?: string | null | undefined },
): Promise<PermissionView> {
  const scope = scopeOf(auth, "permissions:update");
  assertAnyScope(scope);
  const row = await visiblePermission(deps, auth, id);
  assertManageable(auth, scope, row);
  const next = {
    resource: input.resource ?? row.resource,
    action: input.action ?? row.action,
    description: input.description === undefined ? row.description : input.description,
  };
  const key = `${next.resource}:${next.action}`;
  if (isCatalogKey(key)) throw exists(key);
  try {
    const updated = await updatePermissionStatement(deps.d1, id, next).first<{ id: number }>();
    if (!updated) throw notFound("Permission", id);
  } catch (err) {
    if (isUniqueViolation(err)) throw exists(key);
    throw err;
  }
  return toPermissionView((await findPermission(deps.db, id)) ?? row);
}

/** Deletes a custom permission that no role grants (409 PERMISSION_IN_USE otherwise: remove it from the roles first). */
export async function deletePermission(deps: Store, auth: AuthContext, id: number): Promise<void> {
  const scope = scopeOf(auth, "permissions:delete");
  assertAnyScope(scope);
  const row = await visiblePermission(deps, auth, id);
  assertManageable(auth, scope, row);
  if (await deleteUnusedPermissionStatement(deps.d1, id).first()) return;
  if (await isPermissionInUse(deps.db, id)) {
    throw conflict(`Permission ${id} is granted by roles; remove it from them first`, "PERMISSION_IN_USE");
  }
  throw notFound("Permission", id);
}
