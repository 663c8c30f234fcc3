import type { Store } from "../../db/client";
import { forbidden, isUniqueViolation, notFound } from "../../lib/errors";
import type { Permission } from "../../lib/permissions";
import { type AuthContext, can } from "../auth/auth-context";
import { duplicateUserError } from "../auth/auth-service";
import { auditStatement, type RequestMeta, revokeUserSessionsStatement } from "../auth/session-service";
import { assertNotMorePrivileged } from "../roles/grant-rules";
import { type AccessPlan, isEmptyPlan, planAccess } from "./access-plan";
import { isLastAdminFailure, lastAdminError, lastAdminGuardStatement } from "./last-admin-guard";
import type { UpdateUserInput } from "./schemas";
import {
  assignRolesStatement,
  dropOrganizationRolesStatement,
  findUserForChange,
  findUserViewById,
  joinOrganizationsStatement,
  leaveOrganizationsStatement,
  toggleUserStatusStatement,
  type UserFields,
  unassignRolesStatement,
  updateUserStatement,
} from "./user-repository";
import { assertAccessFieldsAllowed, canSeeUser, viewFor } from "./user-service";
import type { UserView, UserViewRow } from "./user-view";

const ids = (json: string) => (JSON.parse(json || "[]") as (number | null)[]).filter((v): v is number => v !== null);

/**
 * The user that the caller is about to change with `permission`: 404 when it doesn't exist or the caller
 * may not see it (itself, `users:read` or `permission`);
 * 403 when the user is another one and holds permissions the caller doesn't (see `assertNotMorePrivileged`).
 */
async function changeableUser(deps: Store, auth: AuthContext, id: number, permission: Permission) {
  const visible = canSeeUser(auth, id) || can(auth, permission);
  const target = visible ? await findUserForChange(deps.db, id) : undefined;
  if (!target) throw notFound("User", id);
  if (id !== auth.userId) assertNotMorePrivileged(auth, target.permissionKeys);
  return target;
}

/** Runs a user write; maps the last-admin guard and duplicate username/email to their 409s. */
async function runUserBatch(
  deps: Store,
  statements: D1PreparedStatement[],
  taken?: { username: string; email: string },
): Promise<D1Result[]> {
  try {
    return await deps.d1.batch(statements);
  } catch (err) {
    if (isLastAdminFailure(err)) throw lastAdminError();
    if (taken && isUniqueViolation(err)) throw await duplicateUserError(deps.db, taken.username, taken.email);
    throw err;
  }
}

function accessStatements(deps: Store, id: number, plan: AccessPlan): D1PreparedStatement[] {
  return [
    unassignRolesStatement(deps.d1, id, plan.removedRoleIds),
    dropOrganizationRolesStatement(deps.d1, id, plan.leftOrgIds),
    leaveOrganizationsStatement(deps.d1, id, plan.leftOrgIds),
    joinOrganizationsStatement(deps.d1, id, plan.joinedOrgIds),
    assignRolesStatement(deps.d1, id, plan.addedRoleIds),
  ];
}

function profileFields(input: UpdateUserInput, row: UserViewRow): UserFields {
  const emailChanged = input.email !== undefined && input.email !== row.email.toLowerCase();
  return {
    username: input.username,
    email: input.email,
    emailVerified: emailChanged ? false : undefined,
    fullName: input.full_name,
    firstName: input.first_name,
    lastName: input.last_name,
    officeLocation: input.office_location,
    department: input.department,
    receiveEmail: input.receive_email,
    isActive: input.is_active,
  };
}

/**
 * PUT and PATCH `/users/{id}` (both partial). A user may edit its own profile; another user's needs
 * `users:update` (403), and the caller must not be less privileged than that user (403). Access fields
 * (`role`, `role_ids`, `organization_ids`, `is_active`) need `users:manage_access` (403 FIELD_NOT_ALLOWED)
 * and obey the grant rules; any other field is a 422 from the strict schema. An email change resets
 * `email_verified`; a deactivation revokes every session. One batch, guarded against removing the last
 * active admin (409 LAST_ADMIN).
 */
export async function updateUser(
  deps: Store,
  auth: AuthContext,
  id: number,
  input: UpdateUserInput,
  meta: RequestMeta,
): Promise<UserView> {
  const target = await changeableUser(deps, auth, id, "users:update");
  if (id !== auth.userId && !can(auth, "users:update")) throw forbidden();
  assertAccessFieldsAllowed(auth, input);
  const { row } = target;
  const plan = await planAccess(deps, auth, { roleIds: ids(row.roleIds), orgIds: ids(row.organizationIds) }, input);
  // The guard reads the user's state inside the batch, so it goes in whenever the write could
  // remove an active admin, whatever the state read above says.
  const deactivates = input.is_active === false;
  const statements: D1PreparedStatement[] = [];
  if (deactivates || plan.demotesSuperuser) statements.push(lastAdminGuardStatement(deps.d1, id));
  statements.push(updateUserStatement(deps.d1, id, profileFields(input, row)), ...accessStatements(deps, id, plan));
  if (deactivates) statements.push(revokeUserSessionsStatement(deps.d1, id, "user_deactivated"));
  if (!isEmptyPlan(plan) || input.is_active !== undefined) {
    const detail = `user ${id}: roles +[${plan.addedRoleIds}] -[${plan.removedRoleIds}], organizations +[${plan.joinedOrgIds}] -[${plan.leftOrgIds}], active ${input.is_active ?? "unchanged"}`;
    statements.push(auditStatement(deps.d1, "user_access_changed", auth.userId, meta, detail));
  }
  // Name only the values that change, so that a 409 never blames the user's own username or email.
  const changed = (next: string | undefined, current: string) =>
    next !== undefined && next.toLowerCase() !== current.toLowerCase() ? next : "";
  await runUserBatch(deps, statements, {
    username: changed(input.username, row.username),
    email: changed(input.email, row.email),
  });
  const updated = await findUserViewById(deps.db, id);
  if (!updated) throw notFound("User", id);
  return viewFor(auth, updated);
}

/**
 * DELETE `/users/{id}`: a soft delete (the route requires `users:delete`). Deactivates the user and
 * revokes all its sessions in one batch, so its tokens fail on the next request; guarded against
 * removing the last active admin. Deleting an already inactive user succeeds again.
 */
export async function deactivateUser(deps: Store, auth: AuthContext, id: number, meta: RequestMeta) {
  await changeableUser(deps, auth, id, "users:delete");
  await runUserBatch(deps, [
    lastAdminGuardStatement(deps.d1, id),
    updateUserStatement(deps.d1, id, { isActive: false }),
    revokeUserSessionsStatement(deps.d1, id, "user_deleted"),
    auditStatement(deps.d1, "user_deactivated", auth.userId, meta, `user ${id}`),
  ]);
}

/**
 * PATCH `/admin/users/{id}/toggle-status`: flips the active flag in one conditional statement (no
 * read-then-write), revokes the user's sessions (an inactive account has none worth keeping), guarded
 * against deactivating the last active admin.
 */
export async function toggleUserStatus(
  deps: Store,
  auth: AuthContext,
  id: number,
  meta: RequestMeta,
): Promise<UserView> {
  await changeableUser(deps, auth, id, "users:manage_access");
  const [, toggled] = await runUserBatch(deps, [
    lastAdminGuardStatement(deps.d1, id),
    toggleUserStatusStatement(deps.d1, id),
    revokeUserSessionsStatement(deps.d1, id, "user_status_toggled"),
    auditStatement(deps.d1, "user_status_toggled", auth.userId, meta, `user ${id}`),
  ]);
  if (!toggled?.results.length) throw notFound("User", id);
  const row = await findUserViewById(deps.db, id);
  if (!row) throw notFound("User", id);
  return viewFor(auth, row);
}
