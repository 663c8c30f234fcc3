import { outboxStatement } from "../../../db/outbox";
import { jsonIds } from "../../../db/sql";
import { type ConstraintErrors, runBatch, type Statement } from "../../../db/statement";
import { type AuthContext, can, type Scope } from "../../../lib/access";
import { isoNow } from "../../../lib/clock";
import { HttpErrors } from "../../../lib/errors";
import type { Permission } from "../../../lib/permissions";
import type { Deps } from "../../../middleware/deps";
import { auditStatement } from "../../audit";
import { revokeUserSessionsStatement } from "../../sessions";
import { AccessErrors } from "../errors";
import { assertNotMorePrivileged, canSeeUser } from "../rules";
import { type AccessPlan, accessRead, isEmptyPlan, readAll } from "./access-plan";
import { requestEmailChange } from "./email-change";
import { lastAdminErrors, lastAdminGuardStatement } from "./last-admin";
import type { UpdateUserInput } from "./schemas";
import {
  assignRolesStatement,
  dropOrganizationRolesStatement,
  emailHolderOf,
  emailHolderQuery,
  findUserForChange,
  joinOrganizationsStatement,
  leaveOrganizationsStatement,
  toggleUserStatusStatement,
  type UserFields,
  type UserViewRow,
  unassignRolesStatement,
  updateUserStatement,
  userConstraintErrors,
  userForChangeOf,
  userForChangeStatements,
  userViewStatement,
} from "./user-repository";
import { assertAccessFieldsAllowed, mayChangeAccess, viewFor } from "./user-service";
import type { UserView } from "./user-view";

/**
 * The user that the caller is about to change with `permission`: 404 when it doesn't exist or the caller
 * may not see it (itself, `users:read` or `permission`);
 * 403 when the user is another one and holds permissions the caller doesn't (see `assertNotMorePrivileged`).
 */
export async function changeableUser(deps: Deps, auth: AuthContext, id: number, permission: Permission) {
  const visible = canSeeUser(auth, id) || can(auth, permission);
  return judgeChangeable(auth, id, visible ? await findUserForChange(deps.db, id) : undefined);
}

/**
 * `changeableUser()` as a read to batch with others: its `queries`, and `judge()` of their results,
 * which throws as `changeableUser()` does. A route batching more reads with it answers them only
 * after `judge()` passed: what it read for a caller who may not see it is dropped.
 */
export function changeableUserRead(deps: Deps, auth: AuthContext, id: number, permission: Permission) {
  const visible = canSeeUser(auth, id) || can(auth, permission);
  return {
    queries: userForChangeStatements(deps.db, id),
    judge: (rows: unknown[], grants: { key: string }[]) =>
      judgeChangeable(auth, id, visible ? userForChangeOf(rows, grants) : undefined),
  };
}

function judgeChangeable<T extends { permissionKeys: string[] }>(auth: AuthContext, id: number, target: T | undefined) {
  if (!target) throw AccessErrors.USER_NOT_FOUND(id);
  if (id !== auth.userId) assertNotMorePrivileged(auth, target.permissionKeys);
  return target;
}

/** How recent a sign-in must be for a user to change its own email or username. */
export const REAUTHENTICATION_MINUTES = 5;

/**
 * 403 REAUTHENTICATION_REQUIRED when the caller changes its own email or username on a session that
 * was not signed in within `REAUTHENTICATION_MINUTES`: a stolen access token alone must not be enough
 * to move the account to another address (and take it over by magic link). Refreshing a token does
 * not count as signing in.
 */
function assertRecentSignInFor(deps: Deps, auth: AuthContext, input: UpdateUserInput, row: UserViewRow): void {
  const changes = (next: string | undefined, current: string) =>
    next !== undefined && next.toLowerCase() !== current.toLowerCase();
  if (!changes(input.email, row.email) && !changes(input.username, row.username)) return;
  const signedInAt = Date.parse(auth.sessionCreatedAt);
  if (!(deps.clock.now() - signedInAt <= REAUTHENTICATION_MINUTES * 60_000)) {
    throw AccessErrors.REAUTHENTICATION_REQUIRED(REAUTHENTICATION_MINUTES);
  }
}

/** A user write's constraint failures: the last-admin guard, and the username or email it sets. */
function userWriteErrors(deps: Deps, taken: { username: string; email: string }): ConstraintErrors {
  return { ...lastAdminErrors, ...userConstraintErrors(deps.db, taken) };
}

function accessStatements(deps: Deps, id: number, plan: AccessPlan): Statement[] {
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
 * PUT and PATCH `/users/{id}` (both partial; see the route for the rules). Two round trips: one batch
 * reads the user, the roles and organizations the body names (and, for a user changing its own email,
 * who holds the new address), and the rules are judged on those rows in the order they always were;
 * then one guarded batch writes and reads back the view answered. A user's change of its own email
 * is not applied: it becomes a request the new address confirms (`pendingEmail`), and the current
 * address is told.
 */
export async function updateUser(
  deps: Deps,
  auth: AuthContext,
  scope: Scope,
  id: number,
  input: UpdateUserInput,
  origin: string,
): Promise<{ user: UserView; pendingEmail: string | null }> {
  const self = id === auth.userId;
  const target = changeableUserRead(deps, auth, id, scope.permission);
  // Access fields the caller may not set are refused below (after the checks that precede it): not read.
  const access = accessRead(deps.db, mayChangeAccess(auth) ? input : {}, id);
  const holder = self && input.email !== undefined ? emailHolderQuery(deps.db, input.email) : undefined;
  const [rows = [], grants = [], ...more] = await readAll(deps.db, [
    ...target.queries,
    ...access.queries,
    ...(holder ? [holder] : []),
  ]);
  const { row } = target.judge(rows, grants as { key: string }[]);
  if (!self && !scope.global) throw HttpErrors.FORBIDDEN();
  if (self) assertRecentSignInFor(deps, auth, input, row);
  assertAccessFieldsAllowed(auth, input);
  const plan = access.plan(
    auth,
    { roleIds: jsonIds(row.roleIds), orgIds: jsonIds(row.organizationIds) },
    more.slice(0, access.queries.length),
  );
  const at = isoNow(deps.clock);
  const ownEmailChange =
    self && input.email !== undefined && input.email.toLowerCase() !== row.email.toLowerCase()
      ? await requestEmailChange(deps, origin, row, input.email, emailHolderOf(more[access.queries.length] ?? []))
      : undefined;
  const applied: UpdateUserInput = ownEmailChange ? { ...input, email: undefined } : input;
  // The guard reads the user's state inside the batch, so it goes in whenever the write could
  // remove an active admin, whatever the state read above says.
  const deactivates = input.is_active === false;
  const statements: Statement[] = [];
  if (deactivates || plan.demotesSuperuser) statements.push(lastAdminGuardStatement(deps.d1, id));
  if (deactivates) statements.push(userEvent(deps.d1, "user.deactivated", id, true, at));
  const changedFields = Object.keys(applied).filter((k) => applied[k as keyof UpdateUserInput] !== undefined);
  statements.push(
    updateUserStatement(deps.d1, id, profileFields(applied, row), at),
    ...accessStatements(deps, id, plan),
    outboxStatement(deps.d1, "user.updated", { user_id: id, changed: changedFields }, { at }),
  );
  if (ownEmailChange) statements.push(...ownEmailChange.statements);
  if (deactivates) {
    statements.push(revokeUserSessionsStatement(deps.d1, { userId: id, reason: "user_deactivated", at }));
  }
  if (!isEmptyPlan(plan) || input.is_active !== undefined) {
    const detail = `user ${id}: roles +[${plan.addedRoleIds}] -[${plan.removedRoleIds}], organizations +[${plan.joinedOrgIds}] -[${plan.leftOrgIds}], active ${input.is_active ?? "unchanged"}`;
    statements.push(
      auditStatement(deps.d1, { event: "user_access_changed", user: auth.userId, meta: deps.meta, detail, at }),
    );
  }
  // The view answered, read after the writes of the same batch.
  const view = userViewStatement(deps.db, id);
  statements.push(view.statement);
  // Name only the values that change, so that a 409 never blames the user's own username or email.
  const changed = (next: string | undefined, current: string) =>
    next !== undefined && next.toLowerCase() !== current.toLowerCase() ? next : "";
  const results = await runBatch(
    deps.d1,
    statements,
    userWriteErrors(deps, {
      username: changed(input.username, row.username),
      email: changed(applied.email, row.email),
    }),
  );
  await ownEmailChange?.after();
  const updated = view.row(results[results.length - 1] ?? []);
  if (!updated) throw AccessErrors.USER_NOT_FOUND(id);
  return { user: viewFor(auth, updated), pendingEmail: ownEmailChange ? (input.email ?? null) : null };
}

/**
 * Runs `change` (a write that may deactivate user `id`) in one batch that is guarded against removing
 * the last active admin, revokes the user's sessions and records `event`, then runs `after` (reads of
 * the result); returns the change's rows and those of `after`.
 */
async function runDeactivation<Row>(
  deps: Deps,
  auth: AuthContext,
  id: number,
  change: Statement<Row>,
  events: { event: string; revokeReason: string; at: string; mayReactivate: boolean },
  after: Statement[] = [],
): Promise<{ changed: Row[]; after: unknown[][] }> {
  // The webhook events go before the change, conditioned on the state it changes: each is recorded
  // exactly when the change applies.
  const outbox = [userEvent(deps.d1, "user.deactivated", id, true, events.at)];
  if (events.mayReactivate) outbox.push(userEvent(deps.d1, "user.updated", id, false, events.at));
  const results = await runBatch(
    deps.d1,
    [
      lastAdminGuardStatement(deps.d1, id),
      ...outbox,
      change,
      revokeUserSessionsStatement(deps.d1, { userId: id, reason: events.revokeReason, at: events.at }),
      auditStatement(deps.d1, {
        event: events.event,
        user: auth.userId,
        meta: deps.meta,
        detail: `user ${id}`,
        at: events.at,
      }),
      ...after,
    ],
    lastAdminErrors,
  );
  return { changed: results[1 + outbox.length] as Row[], after: results.slice(results.length - after.length) };
}

/**
 * A user event recorded only while the user's `is_active` is `whileActive`: put it just BEFORE the
 * write that deactivates (`user.deactivated`) or reactivates (`user.updated`) the user.
 */
function userEvent(
  d1: D1Database,
  event: "user.deactivated" | "user.updated",
  id: number,
  whileActive: boolean,
  at: string,
) {
  const data = event === "user.updated" ? { user_id: id, changed: ["is_active"] } : { user_id: id };
  return outboxStatement(d1, event, data, {
    at,
    when: "EXISTS (SELECT 1 FROM users WHERE id = ?3 AND is_active = ?4)",
    params: [id, whileActive ? 1 : 0],
  });
}

/** DELETE `/users/{id}`: a soft delete (see the route): deactivates the user and revokes its sessions. */
export async function deactivateUser(deps: Deps, auth: AuthContext, id: number) {
  await changeableUser(deps, auth, id, "users:delete");
  const at = isoNow(deps.clock);
  await runDeactivation(deps, auth, id, updateUserStatement(deps.d1, id, { isActive: false }, at), {
    event: "user_deactivated",
    revokeReason: "user_deleted",
    at,
    mayReactivate: false,
  });
}

/**
 * PATCH `/admin/users/{id}/toggle-status`: flips the active flag in one conditional statement (no
 * read-then-write) and revokes the user's sessions; the view answered is read in the same batch.
 */
export async function toggleUserStatus(deps: Deps, auth: AuthContext, id: number): Promise<UserView> {
  await changeableUser(deps, auth, id, "users:manage_access");
  const at = isoNow(deps.clock);
  const view = userViewStatement(deps.db, id);
  const toggled = await runDeactivation(
    deps,
    auth,
    id,
    toggleUserStatusStatement(deps.d1, id, at),
    { event: "user_status_toggled", revokeReason: "user_status_toggled", at, mayReactivate: true },
    [view.statement],
  );
  if (!toggled.changed.length) throw AccessErrors.USER_NOT_FOUND(id);
  const row = view.row(toggled.after[0] ?? []);
  if (!row) throw AccessErrors.USER_NOT_FOUND(id);
  return viewFor(auth, row);
}
