import type { Store } from "../../db/client";
import { notFound } from "../../lib/errors";
import { listOf, type Page } from "../../lib/pagination";
import type { AuthContext } from "../auth/auth-context";
import { assertCanChangeRoles } from "../roles/grant-rules";
import { findRolesByIds } from "../roles/role-repository";
import { assignRolesStatement, dropOrganizationRolesStatement, unassignRolesStatement } from "../users/user-repository";
import {
  deleteMemberStatement,
  findMember,
  listMembers as listMemberRows,
  type MemberRow,
  upsertMemberStatement,
} from "./member-repository";
import { assertAnyScope, assertInScope, scopeOf } from "./org-scope";
import { existingUserIds, findOrganization } from "./organization-repository";
import type { MemberView } from "./schemas";

const ids = (json: string) => (JSON.parse(json || "[]") as (number | null)[]).filter((v): v is number => v !== null);

/** The API's representation of a membership. */
export function toMemberView(row: MemberRow): MemberView {
  return {
    user_id: row.user_id,
    username: row.username,
    full_name: row.full_name,
    is_admin: Boolean(row.is_admin),
    role_ids: ids(row.role_ids).sort((a, b) => a - b),
    joined_at: row.joined_at,
  };
}

const memberNotFound = (userId: number) => notFound("Member", userId, "user_id");

/**
 * Checks that the caller may act on organization `orgId`'s members with `permission` (globally, through
 * an organization-scoped role, or as one of its admins) and that the organization exists: 403 for callers
 * without any such scope, 404 for an organization they can't see, 403 for one they see but don't manage.
 */
async function managedOrganization(
  deps: Store,
  auth: AuthContext,
  orgId: number,
  permission: "users:read" | "organizations:update",
) {
  const scope = scopeOf(auth, permission);
  assertAnyScope(scope);
  assertInScope(auth, scope, orgId);
  if (!(await findOrganization(deps.db, orgId))) throw notFound("Organization", orgId);
}

/** A page of an organization's members (`users:read`, or an admin of that organization). */
export async function listMembers(deps: Store, auth: AuthContext, orgId: number, page: Page) {
  await managedOrganization(deps, auth, orgId, "users:read");
  const { rows, total } = await listMemberRows(deps.d1, orgId, page);
  return listOf("members", rows.map(toMemberView), total, page);
}

/**
 * Adds a user to an organization or updates its membership (`organizations:update`, or an admin of that
 * organization): `is_admin`, and `role_ids`, the exact set of the member's roles scoped to this
 * organization (other ids: 404). The caller must hold every permission of each role it assigns or
 * removes, in this organization or globally (403 PRIVILEGE_ESCALATION). One batch.
 */
export async function putMember(
  deps: Store,
  auth: AuthContext,
  orgId: number,
  userId: number,
  input: { is_admin?: boolean | undefined; role_ids?: number[] | undefined },
): Promise<MemberView> {
  await managedOrganization(deps, auth, orgId, "organizations:update");
  const [member, users] = await Promise.all([findMember(deps.d1, orgId, userId), existingUserIds(deps.db, [userId])]);
  if (!users.has(userId)) throw notFound("User", userId);
  const current = member ? ids(member.role_ids) : [];
  const statements = [upsertMemberStatement(deps.d1, orgId, userId, input.is_admin)];
  if (input.role_ids) {
    const wanted = [...new Set(input.role_ids)];
    const roles = new Map((await findRolesByIds(deps.db, [...wanted, ...current])).map((r) => [r.id, r]));
    const foreign = wanted.find((id) => roles.get(id)?.organizationId !== orgId);
    if (foreign !== undefined) throw notFound("Role", foreign);
    const added = wanted.filter((id) => !current.includes(id));
    const removed = current.filter((id) => !wanted.includes(id));
    assertCanChangeRoles(
      auth,
      [...added, ...removed].flatMap((id) => roles.get(id) ?? []),
    );
    statements.push(unassignRolesStatement(deps.d1, userId, removed), assignRolesStatement(deps.d1, userId, added));
  }
  await deps.d1.batch(statements);
  const saved = await findMember(deps.d1, orgId, userId);
  if (!saved) throw memberNotFound(userId);
  return toMemberView(saved);
}

/**
 * Removes a member (`organizations:update`, or an admin of that organization), with its roles scoped to
 * the organization, in one batch. The caller must be able to take those roles away (403 otherwise).
 */
export async function removeMember(deps: Store, auth: AuthContext, orgId: number, userId: number): Promise<void> {
  await managedOrganization(deps, auth, orgId, "organizations:update");
  const member = await findMember(deps.d1, orgId, userId);
  if (!member) throw memberNotFound(userId);
  const roleIds = ids(member.role_ids);
  assertCanChangeRoles(auth, await findRolesByIds(deps.db, roleIds));
  const [, removed] = await deps.d1.batch([
    dropOrganizationRolesStatement(deps.d1, userId, [orgId]),
    deleteMemberStatement(deps.d1, orgId, userId),
  ]);
  if (!removed?.results.length) throw memberNotFound(userId);
}
