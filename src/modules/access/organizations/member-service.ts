import { jsonIds } from "../../../db/sql";
import { runBatch, type Statement } from "../../../db/statement";
import type { AuthContext, Scope } from "../../../lib/access";
import { isoNow } from "../../../lib/clock";
import { listOf, type Page } from "../../../lib/pagination";
import type { Deps } from "../../../middleware/deps";
import { auditStatement } from "../../audit";
import { AccessErrors } from "../errors";
import { findRolesByIds } from "../roles/role-repository";
import { assertCanChangeRoles, assertInScope } from "../rules";
import { assignRolesStatement, dropOrganizationRolesStatement, unassignRolesStatement } from "../users/user-repository";
import {
  deleteMemberStatement,
  findMember,
  listMembers as listMemberRows,
  type MemberRow,
  upsertMemberStatement,
} from "./member-repository";
import { findOrganization } from "./organization-repository";
import { assertUsersVisible } from "./organization-service";
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

/** Adds a user to an organization or updates its membership and its roles there (see the route). One batch. */
export async function putMember(
  deps: Deps,
  auth: AuthContext,
  scope: Scope,
  orgId: number,
  userId: number,
  input: { is_admin?: boolean | undefined; role_ids?: number[] | undefined },
): Promise<MemberView> {
  await managedOrganization(deps, auth, scope, orgId);
  const [member] = await Promise.all([findMember(deps.db, orgId, userId), assertUsersVisible(deps, auth, [userId])]);
  const current = member ? jsonIds(member.role_ids) : [];
  const at = isoNow(deps.clock);
  const statements: Statement[] = [upsertMemberStatement(deps.d1, orgId, userId, input.is_admin, at)];
  const changes = input.is_admin === undefined ? [] : [`is_admin ${input.is_admin}`];
  if (input.role_ids) {
    const wanted = [...new Set(input.role_ids)];
    const roles = new Map((await findRolesByIds(deps.db, [...wanted, ...current])).map((r) => [r.id, r]));
    const foreign = wanted.find((id) => roles.get(id)?.organizationId !== orgId);
    if (foreign !== undefined) throw AccessErrors.ROLE_NOT_FOUND(foreign);
    const added = wanted.filter((id) => !current.includes(id));
    const removed = current.filter((id) => !wanted.includes(id));
    assertCanChangeRoles(
      auth,
      [...added, ...removed].flatMap((id) => roles.get(id) ?? []),
    );
    statements.push(unassignRolesStatement(deps.d1, userId, removed), assignRolesStatement(deps.d1, userId, added));
    changes.push(`roles +[${added.join(",")}] -[${removed.join(",")}]`);
  }
  const event = member ? "member_updated" : "member_added";
  const detail = `organization ${orgId}, user ${userId}${changes.length ? `: ${changes.join(", ")}` : ""}`;
  statements.push(auditStatement(deps.d1, { event, user: auth.userId, meta: deps.meta, detail, at }));
  await runBatch(deps.d1, statements);
  const saved = await findMember(deps.db, orgId, userId);
  if (!saved) throw AccessErrors.MEMBER_NOT_FOUND(userId);
  return toMemberView(saved);
}

/** Removes a member with its roles scoped to the organization, in one batch (see the route). */
export async function removeMember(
  deps: Deps,
  auth: AuthContext,
  scope: Scope,
  orgId: number,
  userId: number,
): Promise<void> {
  await managedOrganization(deps, auth, scope, orgId);
  const member = await findMember(deps.db, orgId, userId);
  if (!member) throw AccessErrors.MEMBER_NOT_FOUND(userId);
  assertCanChangeRoles(auth, await findRolesByIds(deps.db, jsonIds(member.role_ids)));
  const detail = `organization ${orgId}, user ${userId}, roles -[${jsonIds(member.role_ids).join(",")}]`;
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
