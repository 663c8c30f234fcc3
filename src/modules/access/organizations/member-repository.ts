import { and, eq, type Placeholder, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { findPage } from "../../../db/page";
import { prepared, preparedStatement } from "../../../db/prepared";
import { organizationMembers, roles } from "../../../db/schema";
import { jsonStrings } from "../../../db/sql";
import { type Statement, statement } from "../../../db/statement";
import type { Page } from "../../../lib/pagination";

/** A membership row with the member's roles of that organization (JSON). */
export interface MemberRow {
  user_id: number;
  username: string;
  full_name: string | null;
  is_admin: boolean;
  role_ids: string;
  joined_at: string;
}

/** The columns of a membership of organization `orgId` (a placeholder in a prepared read). */
const memberColumns = (orgId: number | Placeholder) => ({
  user_id: organizationMembers.userId,
  username: sql<string>`(SELECT u.username FROM users u WHERE u.id = ${organizationMembers.userId})`.as("username"),
  full_name: sql<string | null>`(SELECT u.full_name FROM users u WHERE u.id = ${organizationMembers.userId})`.as(
    "full_name",
  ),
  is_admin: organizationMembers.isAdmin,
  joined_at: organizationMembers.createdAt,
  role_ids: sql<string>`(SELECT json_group_array(ur.role_id) FROM user_roles ur JOIN roles r ON r.id = ur.role_id
    WHERE ur.user_id = ${organizationMembers.userId} AND r.organization_id = ${orgId})`.as("role_ids"),
});

/** One page of an organization's members and the total. */
export function listMembers(db: Db, orgId: number, page: Page) {
  return findPage<MemberRow>(
    db,
    {
      from: organizationMembers,
      columns: memberColumns(orgId),
      where: eq(organizationMembers.organizationId, orgId),
      orderBy: organizationMembers.userId,
    },
    page,
  );
}

const memberByIds = prepared((db) =>
  db
    .select(memberColumns(sql.placeholder("orgId")))
    .from(organizationMembers)
    .where(
      and(
        eq(organizationMembers.organizationId, sql.placeholder("orgId")),
        eq(organizationMembers.userId, sql.placeholder("userId")),
      ),
    )
    .prepare(),
);

/** One membership as a statement of the caller's own batch, and its row (or undefined) from that statement's rows. */
export function memberStatement(db: Db, orgId: number, userId: number) {
  const read = preparedStatement(memberByIds(db), db.$client, { orgId, userId });
  return { statement: read.statement, row: (rows: unknown[]) => read.rows(rows)[0] as MemberRow | undefined };
}

/** A role as the grant rules need it: its organization and the permission keys it grants. */
export interface MemberRoleRow {
  id: number;
  name: string;
  organizationId: number | null;
  permissionKeys: string[];
}

/** The outer `roles.id`, always table-qualified so that the subquery below doesn't rebind it. */
const ROLE_ID = sql.raw('"roles"."id"');

const memberRoles = prepared((db) =>
  db
    .select({
      id: roles.id,
      name: roles.name,
      organizationId: roles.organizationId,
      permissionKeys:
        sql<string>`(SELECT json_group_array(p.resource || ':' || p.action) FROM role_permissions rp JOIN permissions p ON p.id = rp.permission_id WHERE rp.role_id = ${ROLE_ID})`.as(
          "permission_keys",
        ),
    })
    .from(roles)
    .where(
      sql`${roles.id} IN (SELECT value FROM json_each(${sql.placeholder("ids")}))
        OR (${roles.organizationId} = ${sql.placeholder("orgId")}
            AND ${roles.id} IN (SELECT ur.role_id FROM user_roles ur WHERE ur.user_id = ${sql.placeholder("userId")}))`,
    )
    .orderBy(roles.id)
    .prepare(),
);

/**
 * The roles that a change of user `userId`'s membership of organization `orgId` touches, as a read
 * to batch: those of the organization it holds (a member's `role_ids`) and those among `ids` (of any
 * organization, so that a foreign one is told from a missing one), with their permission keys, by id.
 */
export function memberRolesStatement(db: Db, orgId: number, userId: number, ids: readonly number[]) {
  const read = preparedStatement(memberRoles(db), db.$client, { ids: JSON.stringify(ids), orgId, userId });
  return {
    statement: read.statement,
    rows: (rows: unknown[]): MemberRoleRow[] =>
      (read.rows(rows) as (Omit<MemberRoleRow, "permissionKeys"> & { permissionKeys: string })[]).map((r) => ({
        ...r,
        permissionKeys: jsonStrings(r.permissionKeys),
      })),
  };
}

/** Adds a member, or updates its admin flag (`isAdmin` undefined keeps it; a new member is not an admin). */
export function upsertMemberStatement(
  d1: D1Database,
  orgId: number,
  userId: number,
  isAdmin: boolean | undefined,
  at: string,
): Statement {
  const flag = isAdmin === undefined ? null : isAdmin ? 1 : 0;
  return statement(
    d1,
    `INSERT INTO organization_members (organization_id, user_id, is_admin, created_at) VALUES (?1, ?2, coalesce(?3, 0), ?4)
     ON CONFLICT (organization_id, user_id) DO UPDATE SET is_admin = coalesce(?3, is_admin)`,
    orgId,
    userId,
    flag,
    at,
  );
}

/** Removes a membership; returns the user id when there was one. */
export function deleteMemberStatement(d1: D1Database, orgId: number, userId: number): Statement<{ user_id: number }> {
  return statement(
    d1,
    "DELETE FROM organization_members WHERE organization_id = ?1 AND user_id = ?2 RETURNING user_id",
    orgId,
    userId,
  );
}
