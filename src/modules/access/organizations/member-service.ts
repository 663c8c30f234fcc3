import { jsonIds } from "../../../db/sql";
import { runBatch, type Statement } from "../../../db/statement";
import type { AuthContext, Scope } from "../../../lib/access";
import { isoNow } from "../../../lib/clock";
import { listOf, type Page } from "../../../lib/pagination";
import type { Deps } from "../../../middleware/deps";
import { auditStatement } from "../../audit";
import { AccessErrors } from "../errors";
import { assertCanChangeRoleIds, assertInScope } from "../rules";
import { assignRolesStatement, dropOrganizationRolesStatement, unassignRolesStatement } from "../users/user-repository";
import {
  deleteMemberStatement,
  listMembers as listMemberRows,
  type MemberRow,
  memberRolesStatement,
  memberStatement,
  upsertMemberStatement,
} from "./member-repository";
import { findOrganization, organizationStatement } from "./organization-repository";
import { usersVisibleRead } from "./organization-service";
import type { MemberView } from "./schemas";

/** The API's representation of a membership. */
export function toMemberView(row: MemberRow): MemberView {
  return {
    user_id: row.user_id,
    username: row.username,
    full_name: row.full_name,
    is_admin: Boolean(row.is_admin),
    role_ids: jsonIds(row.role_ids),
    joined_at: row.joined_at,
  };
}

/**
 * The organization whose members the caller acts on, within the route's scope: 404 for an
 * organization it can't see, 403 for one it sees but doesn't manage, 404 when it does not exist.
 */
async function managedOrganization(deps: Deps, auth: AuthContext, scope: Scope, orgId: number): Promise<void> {
  assertInScope(auth, scope, orgId);
  if (!(await findOrganization(deps.db, orgId))) throw AccessErrors.ORGANIZATION_NOT_FOUND(orgId);
}

/** A page of an organization's members. */
export async function listMembers(deps: Deps, auth: AuthContext, scope: Scope, orgId: number, page: Page) {
  await managedOrganization(deps, auth, scope, orgId);
  const { rows, total } = await listMemberRows(deps.db, orgId, page);
  return listOf("members", rows.map(toMemberView), total, page);
}

/**
 * Adds a user to an organization or updates its membership and its roles there (see the route). The
 * organization, the membership, the user's visibility and the roles touched are read in one batch
 * and judged in that order; one batch then writes and reads the membership answered.
 */
export async function putMember(
  deps: Deps,
  auth: AuthContext,
  scope: Scope,
  orgId: number,
  userId: number,
  input: { is_admin?: boolean | undefined; role_ids?: number[] | undefined },
): Promise<MemberView> {
  assertInScope(auth, scope, orgId);
  const wanted = input.role_ids ? [...new Set(input.role_ids)] : undefined;
  const org = organizationStatement(deps.db, orgId);
  const membership = memberStatement(deps.db, orgId, userId);
  const visibility = usersVisibleRead(deps, auth, [userId]);
  const touched = wanted ? memberRolesStatement(deps.db, orgId, userId, wanted) : undefined;
  const reads: Statement[] = [org.statement, membership.statement, visibility.statement];
  if (touched) reads.push(touched.statement);
  const [orgRows = [], memberRows = [], visibleRows = [], roleRows = []] = await runBatch(deps.d1, reads);
  if (!org.row(orgRows)) throw AccessErrors.ORGANIZATION_NOT_FOUND(orgId);
  visibility.assert(visibleRows);
  const member = membership.row(memberRows);
  const current = member ? jsonIds(member.role_ids) : [];
  const at = isoNow(deps.clock);
  const statements: Statement[] = [upsertMemberStatement(deps.d1, orgId, userId, input.is_admin, at)];
  const changes = input.is_admin === undefined ? [] : [`is_admin ${input.is_admin}`];
  if (wanted && touched) {
    const roles = new Map(touched.rows(roleRows).map((r) => [r.id, r]));
    const foreign = wanted.find((id) => roles.get(id)?.organizationId !== orgId);
    if (foreign !== undefined) throw AccessErrors.ROLE_NOT_FOUND(foreign);
    const added = wanted.filter((id) => !current.includes(id));
    const removed = current.filter((id) => !wanted.includes(id));
    assertCanChangeRoleIds(auth, [...added, ...removed], roles);
    statements.push(unassignRolesStatement(deps.d1, userId, removed), assignRolesStatement(deps.d1, userId, added));
    changes.push(`roles +[${added.join(",")}] -[${removed.join(",")}]`);
  }
  const event = member ? "member_updated" : "member_added";
  const detail = `organization ${orgId}, user ${userId}${changes.length ? `: ${changes.join(", ")}` : ""}`;
  statements.push(auditStatement(deps.d1, { event, user: auth.userId, meta: deps.meta, detail, at }));
  // The membership answered, read after the writes in the same batch.
  const saved = memberStatement(deps.db, orgId, userId);
  statements.push(saved.statement);
  const results = await runBatch(deps.d1, statements);
  const row = saved.row(results[results.length - 1] ?? []);
  if (!row) throw AccessErrors.MEMBER_NOT_FOUND(userId);
  return toMemberView(row);
}

/**
 * Removes a member with its roles scoped to the organization (see the route): the organization, the
 * membership and the member's roles there are read in one batch and judged in that order, then one
 * batch writes.
 */
export async function removeMember(
  deps: Deps,
  auth: AuthContext,
  scope: Scope,
  orgId: number,
  userId: number,
): Promise<void> {
  assertInScope(auth, scope, orgId);
  const org = organizationStatement(deps.db, orgId);
  const membership = memberStatement(deps.db, orgId, userId);
  const held = memberRolesStatement(deps.db, orgId, userId, []);
  const [orgRows, memberRows, roleRows] = await runBatch(deps.d1, [
    org.statement,
    membership.statement,
    held.statement,
  ]);
  if (!org.row(orgRows)) throw AccessErrors.ORGANIZATION_NOT_FOUND(orgId);
  const member = membership.row(memberRows);
  if (!member) throw AccessErrors.MEMBER_NOT_FOUND(userId);
  const roleIds = jsonIds(member.role_ids);
  assertCanChangeRoleIds(auth, roleIds, new Map(held.rows(roleRows).map((r) => [r.id, r])));
  const detail = `organization ${orgId}, user ${userId}, roles -[${roleIds.join(",")}]`;
  const [, removed] = await runBatch(deps.d1, [
    dropOrganizationRolesStatement(deps.d1, userId, [orgId]),
    deleteMemberStatement(deps.d1, orgId, userId),
    auditStatement(
      deps.d1,
      { event: "member_removed", user: auth.userId, meta: deps.meta, detail, at: isoNow(deps.clock) },
      { sql: "changes() > 0", params: [] },
    ),
  ]);
  if (!removed.length) throw AccessErrors.MEMBER_NOT_FOUND(userId);
}
