import { and, asc, count, eq, inArray, isNull, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { permissions } from "../../db/schema";
import { NOW_SQL } from "../../db/schema/columns";
import type { Page } from "../../lib/pagination";

const columns = {
  id: permissions.id,
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

/** One page of permissions and the total, in one round trip. */
export async function listPermissions(db: Db, filter: PermissionFilter, page: Page) {
  const where: SQL[] = [];
  if (filter.visibleOrgIds !== null) {
    const visible = or(
      isNull(permissions.organizationId),
      inArray(permissions.organizationId, [...filter.visibleOrgIds]),
    );
    if (visible) where.push(visible);
  }
  if (filter.organizationId !== undefined) where.push(eq(permissions.organizationId, filter.organizationId));
  if (filter.resource !== undefined) where.push(eq(permissions.resource, filter.resource));
  if (filter.action !== undefined) where.push(eq(permissions.action, filter.action));
  const condition = and(...where);
  const [rows, totals] = await db.batch([
    db
      .select(columns)
      .from(permissions)
      .where(condition)
      .orderBy(asc(permissions.id))
      .limit(page.limit)
      .offset(page.skip),
    db.select({ n: count() }).from(permissions).where(condition),
  ]);
  return { rows: rows as PermissionRow[], total: totals[0]?.n ?? 0 };
}

/** One permission by id, or undefined. */
export async function findPermission(db: Db, id: number): Promise<PermissionRow | undefined> {
  const rows = await db.select(columns).from(permissions).where(eq(permissions.id, id)).limit(1);
  return rows[0] as PermissionRow | undefined;
}

/** The permissions among `ids` that exist. */
export async function findPermissionsByIds(db: Db, ids: readonly number[]): Promise<PermissionRow[]> {
  if (ids.length === 0) return [];
  return (await db
    .select(columns)
    .from(permissions)
    .where(inArray(permissions.id, [...ids]))) as PermissionRow[];
}

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
  p: { resource: string; action: string; description: string | null; organizationId: number | null },
) {
  return d1
    .prepare(
      "INSERT INTO permissions (resource, action, description, organization_id, is_system) VALUES (?1, ?2, ?3, ?4, 0) RETURNING id",
    )
    .bind(p.resource, p.action, p.description, p.organizationId);
}

/** Updates a custom permission (never a system one); returns its id when it changed. */
export function updatePermissionStatement(
  d1: D1Database,
  id: number,
  p: { resource: string; action: string; description: string | null },
) {
  return d1
    .prepare(
      `UPDATE permissions SET resource = ?2, action = ?3, description = ?4, updated_at = ${NOW_SQL}
        WHERE id = ?1 AND is_system = 0 RETURNING id`,
    )
    .bind(id, p.resource, p.action, p.description);
}

/** Deletes a custom permission that no role grants, in one conditional statement; returns its id when deleted. */
export function deleteUnusedPermissionStatement(d1: D1Database, id: number) {
  return d1
    .prepare(
      `DELETE FROM permissions WHERE id = ?1 AND is_system = 0
          AND NOT EXISTS (SELECT 1 FROM role_permissions WHERE permission_id = ?1) RETURNING id`,
    )
    .bind(id);
}
