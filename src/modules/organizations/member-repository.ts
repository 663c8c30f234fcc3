import type { Page } from "../../lib/pagination";

/** A membership row with the member's roles of that organization (JSON). */
export interface MemberRow {
  user_id: number;
  username: string;
  full_name: string | null;
  is_admin: number;
  role_ids: string;
  joined_at: string;
}

const MEMBER_SELECT = `
  SELECT om.user_id, u.username, u.full_name, om.is_admin, om.created_at AS joined_at,
         (SELECT json_group_array(ur.role_id) FROM user_roles ur JOIN roles r ON r.id = ur.role_id
           WHERE ur.user_id = om.user_id AND r.organization_id = ?1) AS role_ids
    FROM organization_members om JOIN users u ON u.id = om.user_id
   WHERE om.organization_id = ?1`;

/** One page of an organization's members and the total, in one round trip. */
export async function listMembers(d1: D1Database, orgId: number, page: Page) {
  const [rows, totals] = await d1.batch([
    d1.prepare(`${MEMBER_SELECT} ORDER BY om.user_id LIMIT ?2 OFFSET ?3`).bind(orgId, page.limit, page.skip),
    d1.prepare("SELECT count(*) AS n FROM organization_members WHERE organization_id = ?1").bind(orgId),
  ]);
  return {
    rows: (rows?.results ?? []) as MemberRow[],
    total: (totals?.results[0] as { n: number } | undefined)?.n ?? 0,
  };
}

/** One membership, or undefined. */
export async function findMember(d1: D1Database, orgId: number, userId: number): Promise<MemberRow | undefined> {
  return (await d1.prepare(`${MEMBER_SELECT} AND om.user_id = ?2`).bind(orgId, userId).first<MemberRow>()) ?? undefined;
}

/** Adds a member, or updates its admin flag (`isAdmin` undefined keeps it; a new member is not an admin). */
export function upsertMemberStatement(d1: D1Database, orgId: number, userId: number, isAdmin: boolean | undefined) {
  const flag = isAdmin === undefined ? null : isAdmin ? 1 : 0;
  return d1
    .prepare(
      `INSERT INTO organization_members (organization_id, user_id, is_admin) VALUES (?1, ?2, coalesce(?3, 0))
       ON CONFLICT (organization_id, user_id) DO UPDATE SET is_admin = coalesce(?3, is_admin)`,
    )
    .bind(orgId, userId, flag);
}

/** Removes a membership; returns the user id when there was one. */
export function deleteMemberStatement(d1: D1Database, orgId: number, userId: number) {
  return d1
    .prepare("DELETE FROM organization_members WHERE organization_id = ?1 AND user_id = ?2 RETURNING user_id")
    .bind(orgId, userId);
}
