import type { Store } from "../../db/client";
import { isUniqueViolation, notFound } from "../../lib/errors";
import { listOf, type Page } from "../../lib/pagination";
import { assertAcceptablePassword, hashPassword } from "../../lib/password";
import { type AuthContext, can } from "../auth/auth-context";
import { duplicateUserError } from "../auth/auth-service";
import { auditStatement, type RequestMeta } from "../auth/session-service";
import { fieldsNotAllowed } from "../organizations/org-scope";
import { planAccess } from "./access-plan";
import { ACCESS_FIELDS, type CreateUserInput } from "./schemas";
import {
  assignRolesToNewUserStatement,
  findUserViewByEmail,
  findUserViewById,
  findUserViewByUsername,
  insertUserStatement,
  joinOrganizationsForNewUserStatement,
  listUsers as listUserRows,
  type UserFilter,
} from "./user-repository";
import { toUserView, type UserView, type UserViewRow } from "./user-view";

/** The user services' dependencies. */
export interface UserDeps extends Store {
  pepper: string;
}

/** True when the caller may see user `id`: itself, or with `users:read`. Others answer 404. */
export function canSeeUser(auth: AuthContext, id: number): boolean {
  return auth.userId === id || can(auth, "users:read");
}

/** The view of `row` for this caller: another user's email only with `users:read_email`. */
export function viewFor(auth: AuthContext, row: UserViewRow): UserView {
  return toUserView(row, row.id === auth.userId || can(auth, "users:read_email"));
}

/** 403 FIELD_NOT_ALLOWED when the body sets access fields and the caller lacks `users:manage_access`. */
export function assertAccessFieldsAllowed(auth: AuthContext, input: Record<string, unknown>): void {
  const present = ACCESS_FIELDS.filter((f) => input[f] !== undefined);
  if (present.length && !can(auth, "users:manage_access")) {
    throw fieldsNotAllowed(present, "the users:manage_access permission");
  }
}

/** A page of users (caller holds `users:read`); `search` matches emails only for callers who may read them. */
export async function listUsers(deps: Store, auth: AuthContext, filter: Omit<UserFilter, "searchEmail">, page: Page) {
  const { rows, total } = await listUserRows(deps.db, { ...filter, searchEmail: can(auth, "users:read_email") }, page);
  return listOf(
    "users",
    rows.map((r) => viewFor(auth, r)),
    total,
    page,
  );
}

/** One user the caller may see (404 otherwise, alike for missing and hidden). */
export async function getUser(deps: Store, auth: AuthContext, id: number): Promise<UserView> {
  const row = canSeeUser(auth, id) ? await findUserViewById(deps.db, id) : undefined;
  if (!row) throw notFound("User", id);
  return viewFor(auth, row);
}

/** One user by username, if the caller may see it (404 otherwise). */
export async function getUserByUsername(deps: Store, auth: AuthContext, username: string): Promise<UserView> {
  const row = await findUserViewByUsername(deps.db, username);
  if (!row || !canSeeUser(auth, row.id)) throw notFound("User", username, "username");
  return viewFor(auth, row);
}

/** One user by email (the route requires `users:read_email`). */
export async function getUserByEmail(deps: Store, auth: AuthContext, email: string): Promise<UserView> {
  const row = await findUserViewByEmail(deps.db, email);
  if (!row) throw notFound("User", email, "email");
  return viewFor(auth, row);
}

/**
 * Creates a user (the route requires `users:create`). Without a password the user signs in by magic
 * link (`auth_provider` "magic_link"); a password obeys the password policy. Roles, organizations and
 * the active flag need `users:manage_access` and obey the grant rules; by default the user gets the
 * default role. Everything is one batch: the user exists with its roles and memberships, or not at all.
 */
export async function createUser(
  deps: UserDeps,
  auth: AuthContext,
  input: CreateUserInput,
  meta: RequestMeta,
): Promise<UserView> {
  assertAccessFieldsAllowed(auth, input);
  if (input.password !== undefined) assertAcceptablePassword(input.password, "password", input.username);
  const plan = await planAccess(deps, auth, { roleIds: [], orgIds: [] }, input, { defaultRoleForNewUser: true });
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password, deps.pepper);
  const statements = [
    insertUserStatement(deps.d1, {
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
    }),
    assignRolesToNewUserStatement(deps.d1, input.username, plan.addedRoleIds),
    joinOrganizationsForNewUserStatement(deps.d1, input.username, plan.joinedOrgIds),
    auditStatement(deps.d1, "user_created", auth.userId, meta, `created user ${input.username}`),
  ];
  let id: number | undefined;
  try {
    const [inserted] = await deps.d1.batch(statements);
    id = (inserted?.results[0] as { id: number } | undefined)?.id;
  } catch (err) {
    if (isUniqueViolation(err)) throw await duplicateUserError(deps.db, input.username, input.email);
    throw err;
  }
  const row = id === undefined ? undefined : await findUserViewById(deps.db, id);
  if (!row) throw new Error("user insert returned no row");
  return toUserView(row, true);
}
