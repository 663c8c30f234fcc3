import { and, asc, eq, isNull, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { findPage } from "../../../db/page";
import { prepared, preparedStatement } from "../../../db/prepared";
import { permissions } from "../../../db/schema";
import { amongIds } from "../../../db/sql";
import { type Statement, statement } from "../../../db/statement";
import type { Page } from "../../../lib/pagination";

const columns = {
  id: permissions.id,
  name: sql<string>`coalesce(${permissions.name}, ${permissions.resource} || ':' || ${permissions.action})`.as("name"),
  resource: permissions.resource,
  action: permissions.action,
  description: permissions.description,
  organizationId: permissions.organizationId,
  isSystem: permissions.isSystem,
  createdAt: permissions.createdAt,
  updatedAt: permissions.updatedAt,
};

/** A permission row as read for views and rules. */
export interface PermissionRow {
  id: number;
  name: string;
  resource: string;
  action: string;
  description: string | null;
  organizationId: number | null;
  isSystem: boolean;
  createdAt: string;
  updatedAt: string;
}

/** Filters of the permission list; `visibleOrgIds` null means every organization's. */
export interface PermissionFilter {
  visibleOrgIds: readonly number[] | null;
  organizationId?: number | undefined;
  resource?: string | undefined;
  action?: string | undefined;
}

/** One page of permissions and the total. */
export function listPermissions(db: Db, filter: PermissionFilter, page: Page) {
  const where: (SQL | undefined)[] = [
    filter.visibleOrgIds === null
      ? undefined
      : or(isNull(permissions.organizationId), amongIds(permissions.organizationId, filter.visibleOrgIds)),
    filter.organizationId === undefined ? undefined : eq(permissions.organizationId, filter.organizationId),
    filter.resource === undefined ? undefined : eq(permissions.resource, filter.resource),
    filter.action === undefined ? undefined : eq(permissions.action, filter.action),
  ];
  return findPage<PermissionRow>(
    db,
    { from: permissions, columns, where: and(...where), orderBy: asc(permissions.id) },
    page,
  );
}

/** One permission by id, or undefined. */
export async function findPermission(db: Db, id: number): Promise<PermissionRow | undefined> {
  const rows = await db.select(columns).from(permissions).where(eq(permissions.id, id)).limit(1);
  return rows[0] as PermissionRow | undefined;
}

/** The permissions among `ids` that exist. */
export async function findPermissionsByIds(db: Db, ids: readonly number[]): Promise<PermissionRow[]> {
  if (ids.length === 0) return [];
  return (await db.select(columns).from(permissions).where(amongIds(permissions.id, ids))) as PermissionRow[];
}

/**
 * A read of permissions to batch with others: its `statement`, and the permission rows from that
 * statement's rows.
 */
export interface PermissionsRead {
  statement: Statement;
  rows(results: unknown[]): PermissionRow[];
}

function permissionsRead(query: object, db: Db, values: Record<string, unknown>): PermissionsRead {
  const read = preparedStatement(query, db.$client, values);
  return { statement: read.statement, rows: (results) => read.rows(results) as PermissionRow[] };
}

/** `findPermission()` as a read to batch: after a write, the view it answers. */
export function permissionStatement(db: Db, id: number): PermissionsRead {
  return permissionsRead(permissionById(db), db, { id });
}
const permissionById = prepared((db) =>
  db
    .select(columns)
    .from(permissions)
    .where(eq(permissions.id, sql.placeholder("id")))
    .prepare(),
);

/**
 * `findPermissionsByIds()` as a read to batch (the ids bound as one JSON parameter, as `amongIds()`
 * binds them, so that a long list stays within D1's 100 bound parameters).
 */
export function permissionsByIdsStatement(db: Db, ids: readonly number[]): PermissionsRead {
  return permissionsRead(permissionsByIds(db), db, { ids: JSON.stringify(ids) });
}
const permissionsByIds = prepared((db) =>
  db
    .select(columns)
    .from(permissions)
    .where(sql`${permissions.id} IN (SELECT value FROM json_each(${sql.placeholder("ids")}))`)
    .prepare(),
);

/**
 * The permission of key `resource:action` in organization `organizationId` (null: global), unique
 * there, as a read to batch after the statement that inserts it (its id is not known yet).
 */
export function newPermissionStatement(
  db: Db,
  p: { resource: string; action: string; organizationId: number | null },
): PermissionsRead {
  return permissionsRead(permissionByKey(db), db, {
    resource: p.resource,
    action: p.action,
    organizationId: p.organizationId,
  });
}
const permissionByKey = prepared((db) =>
  db
    .select(columns)
    .from(permissions)
    .where(
      and(
        eq(permissions.resource, sql.placeholder("resource")),
        eq(permissions.action, sql.placeholder("action")),
        sql`${permissions.organizationId} IS ${sql.placeholder("organizationId")}`,
      ),
    )
    .limit(1)
    .prepare(),
);

/** Whether any role grants the permission. */
export async function isPermissionInUse(db: Db, id: number): Promise<boolean> {
  const rows = await db.all<{ one: number }>(
    sql`SELECT 1 AS one FROM role_permissions WHERE permission_id = ${id} LIMIT 1`,
  );
  return rows.length > 0;
}

/** Inserts a custom permission; returns its id. */
export function insertPermissionStatement(
  d1: D1Database,
  p: { name: string; resource: string; action: string; description: string | null; organizationId: number | null },
  at: string,
): Statement<{ id: number }> {
  return statement(
    d1,
    `INSERT INTO permissions (name, resource, action, description, organization_id, is_system, created_at, updated_at)
     VALUES (?6, ?1, ?2, ?3, ?4, 0, ?5, ?5) RETURNING id`,
    p.resource,
    p.action,
    p.description,
    p.organizationId,
    at,
    p.name,
  );
}

/** Updates a custom permission (never a system one); returns its id when it changed. */
export function updatePermissionStatement(
  d1: D1Database,
  id: number,
  p: { name: string; resource: string; action: string; description: string | null },
  at: string,
): Statement<{ id: number }> {
  return statement(
    d1,
    `UPDATE permissions SET name = ?6, resource = ?2, action = ?3, description = ?4, updated_at = ?5
      WHERE id = ?1 AND is_system = 0 RETURNING id`,
    id,
    p.resource,
    p.action,
    p.description,
    at,
    p.name,
  );
}

/** Whether `constraint` (SQLite's name for a failed UNIQUE constraint) is one of the permission-name indexes. */
export const isPermissionNameIndex = (constraint: string): boolean => constraint.includes("_name_unique");

/** Deletes a custom permission that no role grants, in one conditional statement; returns its id when deleted. */
export function deleteUnusedPermissionStatement(d1: D1Database, id: number): Statement<{ id: number }> {
  return statement(
    d1,
    `DELETE FROM permissions WHERE id = ?1 AND is_system = 0
        AND NOT EXISTS (SELECT 1 FROM role_permissions WHERE permission_id = ?1) RETURNING id`,
    id,
  );
}
