import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { findPage } from "../../../db/page";
import { organizationMembers } from "../../../db/schema";
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

/** The columns of a membership of organization `orgId`. */
const memberColumns = (orgId: number) => ({
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

/** One membership, or undefined. */
export async function findMember(db: Db, orgId: number, userId: number): Promise<MemberRow | undefined> {
  const rows = await db
    .select(memberColumns(orgId))
    .from(organizationMembers)
    .where(and(eq(organizationMembers.organizationId, orgId), eq(organizationMembers.userId, userId)))
    .limit(1);
  return rows[0] as MemberRow | undefined;
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
