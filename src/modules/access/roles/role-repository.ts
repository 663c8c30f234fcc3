import { and, asc, eq, isNull, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { findPage } from "../../../db/page";
import { prepared, preparedStatement } from "../../../db/prepared";
import { roles } from "../../../db/schema";
import { amongIds, jsonIds, jsonStrings } from "../../../db/sql";
import { type Statement, statement } from "../../../db/statement";
import { nameKey } from "../../../lib/names";
import type { Page } from "../../../lib/pagination";

/** The outer `roles.id`, always table-qualified so that the subqueries below don't rebind it. */
const ROLE_ID = sql.raw('"roles"."id"');

const columns = {
  id: roles.id,
  name: roles.name,
  description: roles.description,
  organizationId: roles.organizationId,
  isSystem: roles.isSystem,
  createdAt: roles.createdAt,
  updatedAt: roles.updatedAt,
  permissionIds:
    sql<string>`(SELECT json_group_array(rp.permission_id) FROM role_permissions rp WHERE rp.role_id = ${ROLE_ID})`.as(
      "permission_ids",
    ),
  permissionKeys:
    sql<string>`(SELECT json_group_array(p.resource || ':' || p.action) FROM role_permissions rp JOIN permissions p ON p.id = rp.permission_id WHERE rp.role_id = ${ROLE_ID})`.as(
      "permission_keys",
    ),
};

interface RawRoleRow {
  id: number;
  name: string;
  description: string | null;
  organizationId: number | null;
  isSystem: boolean;
  createdAt: string;
  updatedAt: string;
  permissionIds: string;
  permissionKeys: string;
}

/** A role with its permissions, as read for views and rules. */
export interface RoleRow extends Omit<RawRoleRow, "permissionIds" | "permissionKeys"> {
  permissionIds: number[];
  permissionKeys: string[];
}

function parse(raw: RawRoleRow): RoleRow {
  return { ...raw, permissionIds: jsonIds(raw.permissionIds), permissionKeys: jsonStrings(raw.permissionKeys) };
}

/** Filters of the role list; `visibleOrgIds` null means every role, global ones included. */
export interface RoleFilter {
  visibleOrgIds: readonly number[] | null;
  organizationId?: number | undefined;
}

/** One page of roles and the total. */
export async function listRoles(db: Db, filter: RoleFilter, page: Page) {
  const where: SQL[] = [];
  if (filter.visibleOrgIds !== null) where.push(amongIds(roles.organizationId, filter.visibleOrgIds));
  if (filter.organizationId !== undefined) where.push(eq(roles.organizationId, filter.organizationId));
  const { rows, total } = await findPage<RawRoleRow>(
    db,
    { from: roles, columns, where: and(...where), orderBy: asc(roles.id) },
    page,
  );
  return { rows: rows.map(parse), total };
}

/** One role by id, or undefined. */
export async function findRole(db: Db, id: number): Promise<RoleRow | undefined> {
  const rows = (await db.select(columns).from(roles).where(eq(roles.id, id)).limit(1)) as RawRoleRow[];
  return rows[0] ? parse(rows[0]) : undefined;
}

/**
 * A read of one role to batch with others: its `statement`, and the role (or undefined) from that
 * statement's rows.
 */
export interface RoleRead {
  statement: Statement;
  row(results: unknown[]): RoleRow | undefined;
}

function roleRead(query: object, db: Db, values: Record<string, unknown>): RoleRead {
  const read = preparedStatement(query, db.$client, values);
  return {
    statement: read.statement,
    row: (results) => {
      const [raw] = read.rows(results) as RawRoleRow[];
      return raw ? parse(raw) : undefined;
    },
  };
}

/** `findRole()` as a read to batch: before a change, the role it applies to; after it, the view it answers. */
export function roleStatement(db: Db, id: number): RoleRead {
  return roleRead(roleById(db), db, { id });
}
const roleById = prepared((db) =>
  db
    .select(columns)
    .from(roles)
    .where(eq(roles.id, sql.placeholder("id")))
    .prepare(),
);

/**
 * The role named `name` (case-insensitive) in organization `organizationId` (null: global), unique
 * there, as a read to batch after the statements that insert it and grant its permissions (its id
 * is not known yet; see `ROLE_BY_NAME`).
 */
export function newRoleStatement(db: Db, r: { name: string; organizationId: number | null }): RoleRead {
  return roleRead(roleByName(db), db, { name: r.name, organizationId: r.organizationId });
}
const roleByName = prepared((db) =>
  db
    .select(columns)
    .from(roles)
    .where(
      sql`lower(${roles.name}) = lower(${sql.placeholder("name")}) AND ${roles.organizationId} IS ${sql.placeholder("organizationId")}`,
    )
    .limit(1)
    .prepare(),
);

/** Whether any user holds the role. */
export async function isRoleAssigned(db: Db, id: number): Promise<boolean> {
  return (await db.all(sql`SELECT 1 AS one FROM user_roles WHERE role_id = ${id} LIMIT 1`)).length > 0;
}

/** SQL for the id of the role named `?1` in organization `?2` (null: global), for batches that insert it. */
const ROLE_BY_NAME = "(SELECT id FROM roles WHERE lower(name) = lower(?1) AND organization_id IS ?2)";

/** Inserts a custom role; returns its id. */
export function insertRoleStatement(
  d1: D1Database,
  r: { name: string; description: string | null; organizationId: number | null },
  at: string,
): Statement<{ id: number }> {
  return statement(
    d1,
    "INSERT INTO roles (name, description, organization_id, is_system, created_at, updated_at, name_key) VALUES (?1, ?3, ?2, 0, ?4, ?4, ?5) RETURNING id",
    r.name,
    r.organizationId,
    r.description,
    at,
    nameKey(r.name),
  );
}

/** Grants `permissionIds` to the role inserted in the same batch (found by name and organization). */
export function grantToNewRoleStatement(
  d1: D1Database,
  r: { name: string; organizationId: number | null },
  permissionIds: readonly number[],
): Statement {
  return statement(
    d1,
    `INSERT OR IGNORE INTO role_permissions (role_id, permission_id) SELECT ${ROLE_BY_NAME}, value FROM json_each(?3)`,
    r.name,
    r.organizationId,
    JSON.stringify(permissionIds),
  );
}

/** Updates a custom role's name and description (never a system role's). */
export function updateRoleStatement(
  d1: D1Database,
  id: number,
  r: { name: string; description: string | null },
  at: string,
): Statement {
  return statement(
    d1,
    "UPDATE roles SET name = ?2, description = ?3, updated_at = ?4, name_key = ?5 WHERE id = ?1 AND is_system = 0",
    id,
    r.name,
    r.description,
    at,
    nameKey(r.name),
  );
}

/** Grants permissions to a custom role. */
export function grantPermissionsStatement(d1: D1Database, roleId: number, permissionIds: readonly number[]): Statement {
  return statement(
    d1,
    `INSERT OR IGNORE INTO role_permissions (role_id, permission_id)
     SELECT r.id, j.value FROM roles r, json_each(?2) j WHERE r.id = ?1 AND r.is_system = 0`,
    roleId,
    JSON.stringify(permissionIds),
  );
}

/** Takes permissions away from a custom role. */
export function revokePermissionsStatement(
  d1: D1Database,
  roleId: number,
  permissionIds: readonly number[],
): Statement {
  return statement(
    d1,
    `DELETE FROM role_permissions WHERE role_id = ?1 AND permission_id IN (SELECT value FROM json_each(?2))
        AND EXISTS (SELECT 1 FROM roles WHERE id = ?1 AND is_system = 0)`,
    roleId,
    JSON.stringify(permissionIds),
  );
}

/** Touches a role's `updated_at`. */
export function touchRoleStatement(d1: D1Database, roleId: number, at: string): Statement {
  return statement(d1, "UPDATE roles SET updated_at = ?2 WHERE id = ?1", roleId, at);
}

/**
 * Deletes a custom role that nobody holds, in one conditional statement (its grants go with it);
 * returns its id when deleted.
 */
export function deleteUnassignedRoleStatement(d1: D1Database, id: number): Statement<{ id: number }> {
  return statement(
    d1,
    `DELETE FROM roles WHERE id = ?1 AND is_system = 0
        AND NOT EXISTS (SELECT 1 FROM user_roles WHERE role_id = ?1) RETURNING id`,
    id,
  );
}

/**
 * The roles, with their permissions, that are among `ids`, held by user `heldBy`, or the global
 * system role named `systemRole`: one query, for the caller's `db.batch()` (see `roleRowsOf()`).
 */
export function rolesQuery(db: Db, by: { ids: readonly number[]; heldBy?: number; systemRole?: string }) {
  const any: SQL[] = [amongIds(roles.id, by.ids)];
  if (by.heldBy !== undefined) {
    any.push(sql`${roles.id} IN (SELECT role_id FROM user_roles WHERE user_id = ${by.heldBy})`);
  }
  if (by.systemRole !== undefined) {
    any.push(and(eq(roles.name, by.systemRole), eq(roles.isSystem, true), isNull(roles.organizationId)) as SQL);
  }
  return db
    .select(columns)
    .from(roles)
    .where(or(...any));
}

/** The roles of the rows `rolesQuery()` returned. */
export function roleRowsOf(rows: readonly unknown[]): RoleRow[] {
  return (rows as RawRoleRow[]).map(parse);
}
