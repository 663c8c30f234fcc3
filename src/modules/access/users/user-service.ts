import type { UserRef } from "../../../db/sql";
import { runBatch } from "../../../db/statement";
import { type AuthContext, can, type Scope } from "../../../lib/access";
import { isoNow } from "../../../lib/clock";
import { HttpErrors } from "../../../lib/errors";
import { listOf, type Page } from "../../../lib/pagination";
import { assertAcceptablePassword, hashPassword } from "../../../lib/password";
import type { SystemRole } from "../../../lib/permissions";
import type { Deps } from "../../../middleware/deps";
import { auditStatement } from "../../audit";
import { AccessErrors } from "../errors";
import { accessRead, readAll } from "./access-plan";
import { ACCESS_FIELDS, type CreateUserInput } from "./schemas";
import {
  assignRolesToNewUserStatement,
  assignSystemRoleToNewUserStatement,
  findUserViewByEmail,
  findUserViewById,
  findUserViewByUsername,
  insertUserStatement,
  joinOrganizationsForNewUserStatement,
  listUsers as listUserRows,
  requestDomainJoinsForNewUserStatement,
  type UserFields,
  type UserFilter,
  type UserViewRow,
  userConstraintErrors,
  userViewStatement,
} from "./user-repository";
import { toUserView, type UserView } from "./user-view";

/** The view of `row` for this caller: another user's email only with `users:read_email`. */
export function viewFor(auth: AuthContext, row: UserViewRow): UserView {
  return toUserView(row, row.id === auth.userId || can(auth, "users:read_email"));
}

/** Whether the caller may set access fields (`users:manage_access`). */
export const mayChangeAccess = (auth: AuthContext) => can(auth, "users:manage_access");

/** 403 FIELD_NOT_ALLOWED when the body sets access fields and the caller lacks `users:manage_access`. */
export function assertAccessFieldsAllowed(auth: AuthContext, input: Record<string, unknown>): void {
  const present = ACCESS_FIELDS.filter((f) => input[f] !== undefined);
  if (present.length && !mayChangeAccess(auth)) {
    throw AccessErrors.FIELD_NOT_ALLOWED(present, "the users:manage_access permission");
  }
}

/** The signed-in user, as `/auth/me` and `/users/me` show it. */
export async function currentUser(deps: Deps, auth: AuthContext) {
  // On the binding: this request builds no drizzle client.
  const row = await findUserViewById(deps.d1, auth.userId);
  if (!row) throw HttpErrors.UNAUTHORIZED();
  return { user: toUserView(row), message: "User information retrieved successfully" };
}

/** A user's full view by id (for the user itself, e.g. right after it signed in). */
export async function userViewById(deps: Deps, id: number): Promise<UserView> {
  const row = await findUserViewById(deps.d1, id);
  if (!row) throw AccessErrors.USER_NOT_FOUND(id);
  return toUserView(row);
}

/**
 * `userViewById()` as a read to batch with others: its `statement`, and the view from that
 * statement's rows (404 when the user is gone). `user` is an id, or the username of a user the same
 * batch creates.
 */
export function userViewRead(deps: Deps, user: UserRef) {
  const read = userViewStatement(deps.db, user);
  return {
    statement: read.statement,
    view: (rows: unknown[]): UserView => {
      const row = read.row(rows);
      if (!row) {
        throw typeof user === "number"
          ? AccessErrors.USER_NOT_FOUND(user)
          : AccessErrors.USER_NOT_FOUND(user.username, "username");
      }
      return toUserView(row);
    },
  };
}

/** A page of users; `search` matches emails only for callers who may read them. */
export async function listUsers(deps: Deps, auth: AuthContext, filter: Omit<UserFilter, "searchEmail">, page: Page) {
  const { rows, total } = await listUserRows(deps.db, { ...filter, searchEmail: can(auth, "users:read_email") }, page);
  return listOf(
    "users",
    rows.map((r) => viewFor(auth, r)),
    total,
    page,
  );
}

/** One user the caller may see (404 otherwise, alike for missing and hidden). */
export async function getUser(deps: Deps, auth: AuthContext, scope: Scope, id: number): Promise<UserView> {
  const row = auth.userId === id || scope.global ? await findUserViewById(deps.db, id) : undefined;
  if (!row) throw AccessErrors.USER_NOT_FOUND(id);
  return viewFor(auth, row);
}

/** One user by username, if the caller may see it (404 otherwise). */
export async function getUserByUsername(
  deps: Deps,
  auth: AuthContext,
  scope: Scope,
  username: string,
): Promise<UserView> {
  const row = await findUserViewByUsername(deps.db, username);
  if (!row || !(row.id === auth.userId || scope.global)) throw AccessErrors.USER_NOT_FOUND(username, "username");
  return viewFor(auth, row);
}

/** One user by email. */
export async function getUserByEmail(deps: Deps, auth: AuthContext, email: string): Promise<UserView> {
  const row = await findUserViewByEmail(deps.db, email);
  if (!row) throw AccessErrors.USER_NOT_FOUND(email, "email");
  return viewFor(auth, row);
}

/**
 * The statements that insert a user with one system role and its memberships, for the caller's batch
 * (self-registration); run it with `userConstraintErrors`. The first statement returns the new id.
 */
export function newUserStatements(
  d1: D1Database,
  u: { fields: UserFields & { username: string; email: string }; role: SystemRole; orgIds: number[]; at: string },
) {
  return [
    insertUserStatement(d1, u.fields, u.at),
    assignSystemRoleToNewUserStatement(d1, u.fields.username, u.role),
    // Joining by the email's domain waits until the address is verified (see `pending_domain_joins`).
    requestDomainJoinsForNewUserStatement(d1, u.fields.username, u.orgIds, u.at),
  ] as const;
}

/**
 * Creates a user (see the create route): the roles and organizations it names read in one batch, then
 * one write batch (which also reads the view answered): the user exists with its roles and
 * memberships or not at all.
 */
export async function createUser(deps: Deps, auth: AuthContext, input: CreateUserInput): Promise<UserView> {
  assertAccessFieldsAllowed(auth, input);
  if (input.password !== undefined) {
    await assertAcceptablePassword(deps.assets, input.password, "password", input.username, input.email);
  }
  const access = accessRead(deps.db, input, "new");
  const plan = access.plan(auth, { roleIds: [], orgIds: [] }, await readAll(deps.db, access.queries));
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password, deps.pepper);
  const at = isoNow(deps.clock);
  const view = userViewRead(deps, { username: input.username });
  const [, , , , shown] = await runBatch(
    deps.d1,
    [
      insertUserStatement(
        deps.d1,
        {
          username: input.username,
          email: input.email,
          passwordHash,
          authProvider: passwordHash ? "local" : "magic_link",
          fullName: input.full_name ?? null,
          firstName: input.first_name ?? null,
          lastName: input.last_name ?? null,
          officeLocation: input.office_location ?? null,
          department: input.department ?? null,
          receiveEmail: input.receive_email,
          isActive: input.is_active,
        },
        at,
      ),
      assignRolesToNewUserStatement(deps.d1, input.username, plan.addedRoleIds),
      joinOrganizationsForNewUserStatement(deps.d1, input.username, plan.joinedOrgIds),
      auditStatement(deps.d1, {
        event: "user_created",
        user: auth.userId,
        meta: deps.meta,
        detail: `created user ${input.username}`,
        at,
      }),
      view.statement,
    ],
    userConstraintErrors(deps.db, input),
  );
  return view.view(shown);
}
