import { and, asc, count, eq, isNull, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { permissions, rolePermissions, roles, userRoles, users } from "../../db/schema";
import { NOW_SQL } from "../../db/schema/columns";
import type { Page } from "../../lib/pagination";
import type { SystemRole } from "../../lib/permissions";
import { type UserViewRow, userViewColumns } from "./user-view";

/** The outer `users.id`, always table-qualified so that subqueries don't rebind it. */
const USER_ID = sql.raw('"users"."id"');

/** One user's view row by id, or undefined. */
export async function findUserViewById(db: Db, id: number): Promise<UserViewRow | undefined> {
  const rows = await db.select(userViewColumns).from(users).where(eq(users.id, id)).limit(1);
  return rows[0] as UserViewRow | undefined;
}

/** The credentials row for a login by username or email (case-insensitive), or undefined. */
export async function findCredentials(db: Db, login: { username?: string | undefined; email?: string | undefined }) {
  const where = login.email
    ? sql`lower(${users.email}) = lower(${login.email})`
    : sql`lower(${users.username}) = lower(${login.username ?? ""})`;
  const rows = await db
    .select({ id: users.id, passwordHash: users.passwordHash, isActive: users.isActive, username: users.username })
    .from(users)
    .where(where)
    .limit(1);
  return rows[0];
}

/**
 * Which of username/email already exist (case-insensitive), to say which one a 409 is about.
 */
export async function findTaken(
  db: Db,
  username: string,
  email: string,
): Promise<{ username: boolean; email: boolean }> {
  const rows = await db
    .select({
      username: sql<number>`lower(${users.username}) = lower(${username})`,
      email: sql<number>`lower(${users.email}) = lower(${email})`,
    })
    .from(users)
    .where(sql`lower(${users.username}) = lower(${username}) OR lower(${users.email}) = lower(${email})`);
  return { username: rows.some((r) => Boolean(r.username)), email: rows.some((r) => Boolean(r.email)) };
}

/** Filters of the user list. `searchEmail` lets `search` match emails (only for callers who may read them). */
export interface UserFilter {
  status?: "active" | "inactive" | undefined;
  role?: string | undefined;
  organizationId?: number | undefined;
  search?: string | undefined;
  searchEmail: boolean;
}

/** `%text%` for a case-insensitive LIKE, with `%`, `_` and `\` escaped. */
function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

/** One page of user views and the total, in one round trip (roles and organizations aggregated per row). */
export async function listUsers(db: Db, filter: UserFilter, page: Page) {
  const where: SQL[] = [];
  if (filter.status) where.push(eq(users.isActive, filter.status === "active"));
  if (filter.role !== undefined) {
    where.push(sql`EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
      WHERE ur.user_id = ${USER_ID} AND r.organization_id IS NULL AND lower(r.name) = lower(${filter.role}))`);
  }
  if (filter.organizationId !== undefined) {
    where.push(sql`EXISTS (SELECT 1 FROM organization_members om
      WHERE om.user_id = ${USER_ID} AND om.organization_id = ${filter.organizationId})`);
  }
  if (filter.search !== undefined) {
    const like = likePattern(filter.search);
    const email = filter.searchEmail ? sql` OR lower(${users.email}) LIKE ${like} ESCAPE '\\'` : sql``;
    where.push(sql`(lower(${users.username}) LIKE ${like} ESCAPE '\\'
      OR lower(coalesce(${users.fullName}, '')) LIKE ${like} ESCAPE '\\'${email})`);
  }
  const condition = and(...where);
  const [rows, totals] = await db.batch([
    db.select(userViewColumns).from(users).where(condition).orderBy(asc(users.id)).limit(page.limit).offset(page.skip),
    db.select({ n: count() }).from(users).where(condition),
  ]);
  return { rows: rows as UserViewRow[], total: totals[0]?.n ?? 0 };
}

/** One user's view row by username (case-insensitive), or undefined. */
export async function findUserViewByUsername(db: Db, username: string): Promise<UserViewRow | undefined> {
  const rows = await db
    .select(userViewColumns)
    .from(users)
    .where(sql`lower(${users.username}) = lower(${username})`)
    .limit(1);
  return rows[0] as UserViewRow | undefined;
}

/** One user's view row by email (case-insensitive), or undefined. */
export async function findUserViewByEmail(db: Db, email: string): Promise<UserViewRow | undefined> {
  const rows = await db
    .select(userViewColumns)
    .from(users)
    .where(sql`lower(${users.email}) = lower(${email})`)
    .limit(1);
  return rows[0] as UserViewRow | undefined;
}

/**
 * A user's view row and the permission keys its global roles grant, in one round trip: what the
 * write rules need to know about the target of a change.
 */
export async function findUserForChange(db: Db, id: number) {
  const [rows, grants] = await db.batch([
    db.select(userViewColumns).from(users).where(eq(users.id, id)).limit(1),
    db
      .selectDistinct({ key: sql<string>`${permissions.resource} || ':' || ${permissions.action}` })
      .from(userRoles)
      .innerJoin(roles, eq(roles.id, userRoles.roleId))
      .innerJoin(rolePermissions, eq(rolePermissions.roleId, roles.id))
      .innerJoin(permissions, eq(permissions.id, rolePermissions.permissionId))
      .where(and(eq(userRoles.userId, id), isNull(roles.organizationId))),
  ]);
  const row = rows[0] as UserViewRow | undefined;
  return row ? { row, permissionKeys: grants.map((g) => g.key) } : undefined;
}

/**
 * SQL for the id of the user whose username is bound to `?<param>`: how the statements of a batch
 * that inserts a user refer to it before its id is known.
 */
export const newUserIdSql = (param: number) => `(SELECT id FROM users WHERE lower(username) = lower(?${param}))`;

const NEW_USER_ID = newUserIdSql(1);

/** The columns a write may set, by field. */
const WRITABLE = {
  username: "username",
  email: "email",
  passwordHash: "password_hash",
  fullName: "full_name",
  firstName: "first_name",
  lastName: "last_name",
  officeLocation: "office_location",
  department: "department",
  isActive: "is_active",
  receiveEmail: "receive_email",
  authProvider: "auth_provider",
  emailVerified: "email_verified",
  lastLogin: "last_login",
} as const;

/** Column values of a user write. */
export type UserFields = Partial<Record<keyof typeof WRITABLE, string | boolean | null>>;

const sqlValue = (v: string | boolean | null) => (typeof v === "boolean" ? (v ? 1 : 0) : v);

/** Inserts a user; returns its id. */
export function insertUserStatement(d1: D1Database, fields: UserFields & { username: string; email: string }) {
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined) as [keyof typeof WRITABLE, string][];
  const cols = entries.map(([k]) => WRITABLE[k]).join(", ");
  const params = entries.map((_, i) => `?${i + 1}`).join(", ");
  return d1
    .prepare(`INSERT INTO users (${cols}) VALUES (${params}) RETURNING id`)
    .bind(...entries.map(([, v]) => sqlValue(v)));
}

/** Gives the user named `username`, inserted in the same batch, the roles `roleIds`. */
export function assignRolesToNewUserStatement(d1: D1Database, username: string, roleIds: readonly number[]) {
  return d1
    .prepare(`INSERT INTO user_roles (user_id, role_id) SELECT ${NEW_USER_ID}, value FROM json_each(?2)`)
    .bind(username, JSON.stringify(roleIds));
}

/** Gives the user named `username`, inserted in the same batch, the system role `role`. */
export function assignSystemRoleToNewUserStatement(d1: D1Database, username: string, role: SystemRole) {
  return d1
    .prepare(
      `INSERT INTO user_roles (user_id, role_id) SELECT ${NEW_USER_ID}, id FROM roles WHERE name = ?2 AND organization_id IS NULL`,
    )
    .bind(username, role);
}

/** Makes the user named `username`, inserted in the same batch, a member of `orgIds`. */
export function joinOrganizationsForNewUserStatement(d1: D1Database, username: string, orgIds: readonly number[]) {
  return d1
    .prepare(
      `INSERT INTO organization_members (organization_id, user_id) SELECT value, ${NEW_USER_ID} FROM json_each(?2)`,
    )
    .bind(username, JSON.stringify(orgIds));
}

/**
 * Updates a user's columns (and `updated_at`). Deactivating also sets `tokens_valid_after`, so that
 * access tokens issued before stay dead after a reactivation.
 */
export function updateUserStatement(d1: D1Database, id: number, fields: UserFields) {
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined) as [keyof typeof WRITABLE, string][];
  const sets = entries.map(([k], i) => `${WRITABLE[k]} = ?${i + 2}`);
  if (fields.isActive === false) sets.push(`tokens_valid_after = ${NOW_SQL}`);
  sets.push(`updated_at = ${NOW_SQL}`);
  return d1
    .prepare(`UPDATE users SET ${sets.join(", ")} WHERE id = ?1`)
    .bind(id, ...entries.map(([, v]) => sqlValue(v)));
}

/** Gives a user roles. */
export function assignRolesStatement(d1: D1Database, userId: number, roleIds: readonly number[]) {
  return d1
    .prepare("INSERT OR IGNORE INTO user_roles (user_id, role_id) SELECT ?1, value FROM json_each(?2)")
    .bind(userId, JSON.stringify(roleIds));
}

/** Takes roles away from a user. */
export function unassignRolesStatement(d1: D1Database, userId: number, roleIds: readonly number[]) {
  return d1
    .prepare("DELETE FROM user_roles WHERE user_id = ?1 AND role_id IN (SELECT value FROM json_each(?2))")
    .bind(userId, JSON.stringify(roleIds));
}

/** Makes a user a member (not an admin) of organizations. */
export function joinOrganizationsStatement(d1: D1Database, userId: number, orgIds: readonly number[]) {
  return d1
    .prepare(
      "INSERT OR IGNORE INTO organization_members (organization_id, user_id) SELECT value, ?1 FROM json_each(?2)",
    )
    .bind(userId, JSON.stringify(orgIds));
}

/** Removes a user from organizations. */
export function leaveOrganizationsStatement(d1: D1Database, userId: number, orgIds: readonly number[]) {
  return d1
    .prepare(
      "DELETE FROM organization_members WHERE user_id = ?1 AND organization_id IN (SELECT value FROM json_each(?2))",
    )
    .bind(userId, JSON.stringify(orgIds));
}

/** Flips a user's active flag (deactivation also sets `tokens_valid_after`); returns the new flag. */
export function toggleUserStatusStatement(d1: D1Database, id: number) {
  return d1
    .prepare(
      `UPDATE users SET is_active = 1 - is_active,
              tokens_valid_after = CASE WHEN is_active = 1 THEN ${NOW_SQL} ELSE tokens_valid_after END,
              updated_at = ${NOW_SQL}
        WHERE id = ?1 RETURNING is_active`,
    )
    .bind(id);
}

/** Takes away a user's roles scoped to `orgIds` (when it leaves them, none may stay behind). */
export function dropOrganizationRolesStatement(d1: D1Database, userId: number, orgIds: readonly number[]) {
  return d1
    .prepare(
      `DELETE FROM user_roles WHERE user_id = ?1
          AND role_id IN (SELECT id FROM roles WHERE organization_id IN (SELECT value FROM json_each(?2)))`,
    )
    .bind(userId, JSON.stringify(orgIds));
}
