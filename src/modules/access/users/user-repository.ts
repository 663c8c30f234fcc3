import { and, asc, eq, isNull, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { findPage } from "../../../db/page";
import { prepared, preparedStatement, type Runner } from "../../../db/prepared";
import { permissions, rolePermissions, roles, userRoles, users } from "../../../db/schema";
import { containsText, newUserIdSql, type UserRef } from "../../../db/sql";
import { type ConstraintErrors, guardStatement, type Statement, statement } from "../../../db/statement";
import { type AppError, HttpErrors } from "../../../lib/errors";
import type { Page } from "../../../lib/pagination";
import { SUPERUSER_ROLE, type SystemRole } from "../../../lib/permissions";
import { AccessErrors } from "../errors";

/** The outer `users.id`, always table-qualified so that subqueries don't rebind it. */
const USER_ID = sql.raw('"users"."id"');

/**
 * Columns to select for a user view: the row plus its role ids, system role names and organization
 * ids as JSON arrays, so a page of users is one query.
 *
 * @example
 *   db.select(userViewColumns).from(users).where(eq(users.id, id))
 */
export const userViewColumns = {
  id: users.id,
  username: users.username,
  email: users.email,
  fullName: users.fullName,
  firstName: users.firstName,
  lastName: users.lastName,
  officeLocation: users.officeLocation,
  department: users.department,
  isActive: users.isActive,
  receiveEmail: users.receiveEmail,
  authProvider: users.authProvider,
  emailVerified: users.emailVerified,
  lastLogin: users.lastLogin,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
  roleIds: sql<string>`(SELECT json_group_array(ur.role_id) FROM user_roles ur WHERE ur.user_id = ${USER_ID})`.as(
    "role_ids",
  ),
  systemRoles:
    sql<string>`(SELECT json_group_array(r.name) FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = ${USER_ID} AND r.is_system = 1)`.as(
      "system_roles",
    ),
  organizationIds:
    sql<string>`(SELECT json_group_array(om.organization_id) FROM organization_members om WHERE om.user_id = ${USER_ID})`.as(
      "organization_ids",
    ),
};

/** A row selected with `userViewColumns`. */
export interface UserViewRow {
  id: number;
  username: string;
  email: string;
  fullName: string | null;
  firstName: string | null;
  lastName: string | null;
  officeLocation: string | null;
  department: string | null;
  isActive: boolean;
  receiveEmail: boolean;
  authProvider: string;
  emailVerified: boolean;
  lastLogin: string | null;
  createdAt: string;
  updatedAt: string;
  roleIds: string;
  systemRoles: string;
  organizationIds: string;
}

/** One user's view row by id, or undefined (prepared: `GET /auth/me` and every user view read it). */
export async function findUserViewById(db: Runner, id: number): Promise<UserViewRow | undefined> {
  const rows = await userViewById(db).all({ id });
  return rows[0] as UserViewRow | undefined;
}
/**
 * `findUserViewById()` as a statement of the caller's own batch, and its row from that statement's
 * rows. `user` is an id, or the username of a user the same batch creates (see `UserRef`).
 */
export function userViewStatement(db: Db, user: UserRef) {
  const read =
    typeof user === "number"
      ? preparedStatement(userViewById(db), db.$client, { id: user })
      : preparedStatement(userViewByNewUsername(db), db.$client, { username: user.username });
  return { statement: read.statement, row: (rows: unknown[]) => read.rows(rows)[0] as UserViewRow | undefined };
}
const userViewById = prepared((db) =>
  db
    .select(userViewColumns)
    .from(users)
    .where(eq(users.id, sql.placeholder("id")))
    .prepare(),
);
const userViewByNewUsername = prepared((db) =>
  db
    .select(userViewColumns)
    .from(users)
    .where(sql`lower(${users.username}) = lower(${sql.placeholder("username")})`)
    .limit(1)
    .prepare(),
);

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

/** What a sign-in reads of a user: the password hash, whether it may sign in, and whether TOTP is on. */
function credentialColumns() {
  return {
    id: users.id,
    username: users.username,
    email: users.email,
    passwordHash: users.passwordHash,
    isActive: users.isActive,
    totpEnabled: totpEnabledSql(),
  };
}

/** What a sign-in reads of a user (`credentialColumns()`). */
export interface CredentialsRow {
  id: number;
  username: string;
  email: string;
  passwordHash: string | null;
  isActive: boolean;
  totpEnabled: boolean;
}

const credentialsBy = (column: typeof users.email | typeof users.username) =>
  prepared((db) =>
    db
      .select(credentialColumns())
      .from(users)
      .where(sql`lower(${column}) = lower(${sql.placeholder("name")})`)
      .orderBy(users.id)
      .limit(1)
      .prepare(),
  );
const credentialsByEmail = credentialsBy(users.email);
const credentialsByUsername = credentialsBy(users.username);
const credentialsById = prepared((db) =>
  db
    .select(credentialColumns())
    .from(users)
    .where(eq(users.id, sql.placeholder("id")))
    .prepare(),
);

/**
 * The credentials row for a sign-in by email or username (case-insensitive; the lowest id, should
 * two differ only in case), or of a user by id, as a read to batch: its `statement`, and the row
 * from its rows.
 */
export function credentialsStatement(db: Db, by: { column: "email" | "username"; name: string } | { id: number }) {
  const read =
    "id" in by
      ? preparedStatement(credentialsById(db), db.$client, { id: by.id })
      : preparedStatement((by.column === "email" ? credentialsByEmail : credentialsByUsername)(db), db.$client, {
          name: by.name,
        });
  return {
    statement: read.statement,
    row: (rows: unknown[]) => read.rows(rows)[0] as CredentialsRow | undefined,
  };
}

/** True when the user exists and is active. */
export async function isActiveUser(db: Db, userId: number): Promise<boolean> {
  const rows = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, userId), eq(users.isActive, true)))
    .limit(1);
  return rows.length > 0;
}

/**
 * The error for a write refused by the unique username or email: 409 naming the one that is taken
 * (`username`/`email` "" when the write does not change it), read after the failure.
 */
export function userConstraintErrors(db: Db, taken: { username: string; email: string }): ConstraintErrors {
  return {
    unique: async (): Promise<AppError> => {
      const rows = await db
        .select({
          username: sql<number>`lower(${users.username}) = lower(${taken.username})`,
          email: sql<number>`lower(${users.email}) = lower(${taken.email})`,
        })
        .from(users)
        .where(
          sql`lower(${users.username}) = lower(${taken.username}) OR lower(${users.email}) = lower(${taken.email})`,
        );
      if (rows.some((r) => Boolean(r.username))) return AccessErrors.USERNAME_TAKEN(taken.username);
      if (rows.some((r) => Boolean(r.email))) return AccessErrors.EMAIL_TAKEN(taken.email);
      return HttpErrors.CONFLICT("User already exists");
    },
  };
}

/** Filters of the user list. `searchEmail` lets `search` match emails (only for callers who may read them). */
export interface UserFilter {
  status?: "active" | "inactive" | undefined;
  role?: string | undefined;
  organizationId?: number | undefined;
  search?: string | undefined;
  searchEmail: boolean;
}

/** One page of user views and the total (roles and organizations aggregated per row). */
export function listUsers(db: Db, filter: UserFilter, page: Page) {
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
    const matches = [containsText(users.username, filter.search), containsText(users.fullName, filter.search)];
    if (filter.searchEmail) matches.push(containsText(users.email, filter.search));
    where.push(sql`(${sql.join(matches, sql` OR `)})`);
  }
  return findPage<UserViewRow>(
    db,
    { from: users, columns: userViewColumns, where: and(...where), orderBy: asc(users.id) },
    page,
  );
}

/**
 * A user's view row and the permission keys its global roles grant, in one round trip: what the
 * write rules need to know about the target of a change.
 */
export async function findUserForChange(db: Db, id: number) {
  const [rows, grants] = await db.batch(userForChangeStatements(db, id));
  return userForChangeOf(rows, grants);
}

/** The queries of `findUserForChange()`, for a caller that batches them with its own. */
export function userForChangeStatements(db: Db, id: number) {
  return [
    db.select(userViewColumns).from(users).where(eq(users.id, id)).limit(1),
    db
      .selectDistinct({ key: sql<string>`${permissions.resource} || ':' || ${permissions.action}` })
      .from(userRoles)
      .innerJoin(roles, eq(roles.id, userRoles.roleId))
      .innerJoin(rolePermissions, eq(rolePermissions.roleId, roles.id))
      .innerJoin(permissions, eq(permissions.id, rolePermissions.permissionId))
      .where(and(eq(userRoles.userId, id), isNull(roles.organizationId))),
  ] as const;
}

/** What `findUserForChange()` answers, from the results of `userForChangeStatements()`. */
export function userForChangeOf(rows: unknown[], grants: { key: string }[]) {
  const row = rows[0] as UserViewRow | undefined;
  return row ? { row, permissionKeys: grants.map((g) => g.key) } : undefined;
}

/** True when some global `SUPERUSER_ROLE` holder exists. */
export async function superuserExists(db: Db): Promise<boolean> {
  const rows = await db.all(sql.raw(`SELECT 1 AS one FROM (${SUPERUSER_EXISTS_SQL}) LIMIT 1`));
  return rows.length > 0;
}

const SUPERUSER_EXISTS_SQL = `SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
  WHERE r.name = '${SUPERUSER_ROLE}' AND r.organization_id IS NULL`;

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

/** `fields` by column name, without the undefined ones. */
function columnsOf(fields: UserFields): Record<string, string | boolean | null> {
  const out: Record<string, string | boolean | null> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[WRITABLE[k as keyof typeof WRITABLE]] = v;
  return out;
}

const sqlValue = (v: string | boolean | null) => (typeof v === "boolean" ? (v ? 1 : 0) : v);

/** Inserts a user; returns its id. */
export function insertUserStatement(
  d1: D1Database,
  fields: UserFields & { username: string; email: string },
  at: string,
): Statement<{ id: number }> {
  const values = { ...columnsOf(fields), created_at: at, updated_at: at };
  const cols = Object.keys(values);
  return statement(
    d1,
    `INSERT INTO users (${cols.join(", ")}) VALUES (${cols.map((_, i) => `?${i + 1}`).join(", ")}) RETURNING id`,
    ...Object.values(values).map(sqlValue),
  );
}

/** Gives the user named `username`, inserted in the same batch, the roles `roleIds`. */
export function assignRolesToNewUserStatement(d1: D1Database, username: string, roleIds: readonly number[]): Statement {
  return statement(
    d1,
    `INSERT INTO user_roles (user_id, role_id) SELECT ${NEW_USER_ID}, value FROM json_each(?2)`,
    username,
    JSON.stringify(roleIds),
  );
}

/** Gives the user named `username`, inserted in the same batch, the system role `role`. */
export function assignSystemRoleToNewUserStatement(d1: D1Database, username: string, role: SystemRole): Statement {
  return statement(
    d1,
    `INSERT INTO user_roles (user_id, role_id) SELECT ${NEW_USER_ID}, id FROM roles WHERE name = ?2 AND organization_id IS NULL`,
    username,
    role,
  );
}

/** Makes the user named `username`, inserted in the same batch, a member of `orgIds`. */
export function joinOrganizationsForNewUserStatement(
  d1: D1Database,
  username: string,
  orgIds: readonly number[],
): Statement {
  return statement(
    d1,
    `INSERT INTO organization_members (organization_id, user_id) SELECT value, ${NEW_USER_ID} FROM json_each(?2)`,
    username,
    JSON.stringify(orgIds),
  );
}

/**
 * Updates a user's columns (and `updated_at`). Deactivating also sets `tokens_valid_after`, so that
 * access tokens issued before stay dead after a reactivation.
 */
export function updateUserStatement(d1: D1Database, id: number, fields: UserFields, at: string): Statement {
  const values: Record<string, unknown> = { ...columnsOf(fields), updated_at: at };
  if (fields.isActive === false) values.tokens_valid_after = at;
  const entries = Object.entries(values);
  return statement(
    d1,
    `UPDATE users SET ${entries.map(([c], i) => `${c} = ?${i + 2}`).join(", ")} WHERE id = ?1`,
    id,
    ...entries.map(([, v]) => sqlValue(v as string | boolean | null)),
  );
}

/** Records a successful sign-in, and stores `rehash` when the password's hash is being upgraded. */
export function recordLoginStatement(d1: D1Database, userId: number, rehash: string | null, at: string): Statement {
  return statement(
    d1,
    "UPDATE users SET last_login = ?3, password_hash = coalesce(?2, password_hash) WHERE id = ?1",
    userId,
    rehash,
    at,
  );
}

/** Sets a user's password hash. */
export function setPasswordStatement(d1: D1Database, userId: number, hash: string, at: string): Statement {
  return statement(d1, "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1", userId, hash, at);
}

/** Gives a user roles. */
export function assignRolesStatement(d1: D1Database, userId: number, roleIds: readonly number[]): Statement {
  return statement(
    d1,
    "INSERT OR IGNORE INTO user_roles (user_id, role_id) SELECT ?1, value FROM json_each(?2)",
    userId,
    JSON.stringify(roleIds),
  );
}

/** Takes roles away from a user. */
export function unassignRolesStatement(d1: D1Database, userId: number, roleIds: readonly number[]): Statement {
  return statement(
    d1,
    "DELETE FROM user_roles WHERE user_id = ?1 AND role_id IN (SELECT value FROM json_each(?2))",
    userId,
    JSON.stringify(roleIds),
  );
}

/** Makes a user a member (not an admin) of organizations. */
export function joinOrganizationsStatement(d1: D1Database, userId: number, orgIds: readonly number[]): Statement {
  return statement(
    d1,
    "INSERT OR IGNORE INTO organization_members (organization_id, user_id) SELECT value, ?1 FROM json_each(?2)",
    userId,
    JSON.stringify(orgIds),
  );
}

/** Removes a user from organizations. */
export function leaveOrganizationsStatement(d1: D1Database, userId: number, orgIds: readonly number[]): Statement {
  return statement(
    d1,
    "DELETE FROM organization_members WHERE user_id = ?1 AND organization_id IN (SELECT value FROM json_each(?2))",
    userId,
    JSON.stringify(orgIds),
  );
}

/** Takes away a user's roles scoped to `orgIds` (when it leaves them, none may stay behind). */
export function dropOrganizationRolesStatement(d1: D1Database, userId: number, orgIds: readonly number[]): Statement {
  return statement(
    d1,
    `DELETE FROM user_roles WHERE user_id = ?1
        AND role_id IN (SELECT id FROM roles WHERE organization_id IN (SELECT value FROM json_each(?2)))`,
    userId,
    JSON.stringify(orgIds),
  );
}

/** Flips a user's active flag (deactivation also sets `tokens_valid_after`); returns the new flag. */
export function toggleUserStatusStatement(d1: D1Database, id: number, at: string): Statement<{ is_active: number }> {
  return statement(
    d1,
    `UPDATE users SET is_active = 1 - is_active,
            tokens_valid_after = CASE WHEN is_active = 1 THEN ?2 ELSE tokens_valid_after END,
            updated_at = ?2
      WHERE id = ?1 RETURNING is_active`,
    id,
    at,
  );
}

/**
 * The first administrator, in two statements for one batch: inserts the user only while no
 * `SUPERUSER_ROLE` holder exists, then grants it the role, matched by its unique password hash, so
 * that concurrent first requests in several isolates create one admin at most and an existing
 * account is never promoted.
 */
export function insertFirstAdminStatements(
  d1: D1Database,
  a: { username: string; email: string; passwordHash: string; at: string },
): [Statement, Statement<{ user_id: number }>] {
  return [
    statement(
      d1,
      `INSERT INTO users (username, email, password_hash, email_verified, auth_provider, created_at, updated_at)
       SELECT ?1, ?2, ?3, 1, 'local', ?4, ?4 WHERE NOT EXISTS (${SUPERUSER_EXISTS_SQL})
       ON CONFLICT DO NOTHING`,
      a.username,
      a.email,
      a.passwordHash,
      a.at,
    ),
    statement(
      d1,
      `INSERT OR IGNORE INTO user_roles (user_id, role_id)
       SELECT u.id, r.id FROM users u JOIN roles r ON r.name = '${SUPERUSER_ROLE}' AND r.organization_id IS NULL
        WHERE u.password_hash = ?1 AND NOT EXISTS (${SUPERUSER_EXISTS_SQL})
       RETURNING user_id`,
      a.passwordHash,
    ),
  ];
}

/** What the emailed-link flows need to know of a user. */
export interface LinkUser {
  id: number;
  username: string;
  email: string;
  isActive: boolean;
  emailVerified: boolean;
  totpEnabled: boolean;
}

function linkUserColumns() {
  return {
    id: users.id,
    username: users.username,
    email: users.email,
    isActive: users.isActive,
    emailVerified: users.emailVerified,
    totpEnabled: totpEnabledSql(),
  };
}

/** A user by id or by email (case-insensitive), for the emailed-link flows. */
export async function findLinkUser(db: Db, by: { id: number } | { email: string }): Promise<LinkUser | undefined> {
  const where = "id" in by ? eq(users.id, by.id) : sql`lower(${users.email}) = lower(${by.email})`;
  const rows = await db.select(linkUserColumns()).from(users).where(where).limit(1);
  return rows[0];
}

const linkUserById = prepared((db) =>
  db
    .select(linkUserColumns())
    .from(users)
    .where(eq(users.id, sql.placeholder("id")))
    .prepare(),
);

/** `findLinkUser()` by id as a read to batch with others: its `statement`, and the user from its rows. */
export function linkUserStatement(db: Db, id: number) {
  const read = preparedStatement(linkUserById(db), db.$client, { id });
  return { statement: read.statement, row: (rows: unknown[]) => read.rows(rows)[0] as LinkUser | undefined };
}

/** Whether the user has a TOTP second factor on (for a sign-in's reads: no extra round trip). */
export function totpEnabledSql() {
  return sql<boolean>`exists (select 1 from user_totp t where t.user_id = ${users.id} and t.enabled_at is not null)`.mapWith(
    Boolean,
  );
}

/** A sign-in by an emailed link: records it and marks the address verified (the link reached it). */
export function recordLinkLoginStatement(d1: D1Database, userId: number, at: string): Statement {
  return statement(d1, "UPDATE users SET last_login = ?2, email_verified = 1 WHERE id = ?1", userId, at);
}

/** Marks the user's email verified, only while its address is still `email`. */
export function verifyEmailStatement(d1: D1Database, userId: number, email: string, at: string): Statement {
  return statement(
    d1,
    "UPDATE users SET email_verified = 1, updated_at = ?3 WHERE id = ?1 AND lower(email) = lower(?2)",
    userId,
    email,
    at,
  );
}

/**
 * Records that the user named `username`, inserted in the same batch, asked to join `orgIds` by its
 * email's domain: a membership granted once the email is verified (`joinVerifiedDomainsStatements`).
 */
export function requestDomainJoinsForNewUserStatement(
  d1: D1Database,
  username: string,
  orgIds: readonly number[],
  at: string,
): Statement {
  return statement(
    d1,
    `INSERT INTO pending_domain_joins (user_id, organization_id, created_at) SELECT ${NEW_USER_ID}, value, ?3 FROM json_each(?2)`,
    username,
    JSON.stringify(orgIds),
    at,
  );
}

/**
 * For a batch that verifies user `userId`'s email (after the statement that sets `email_verified`):
 * grants the memberships it asked for by domain, where the organization is still active and its
 * domain is still the verified address's, then drops the requests. Nothing happens while the email
 * is unverified.
 */
export function joinVerifiedDomainsStatements(d1: D1Database, userId: number, at: string): Statement[] {
  return [
    statement(
      d1,
      `INSERT OR IGNORE INTO organization_members (organization_id, user_id, created_at)
       SELECT p.organization_id, p.user_id, ?2 FROM pending_domain_joins p
         JOIN users u ON u.id = p.user_id JOIN organizations o ON o.id = p.organization_id
        WHERE p.user_id = ?1 AND u.email_verified = 1 AND o.active = 1
          AND lower(o.domain) = lower(substr(u.email, instr(u.email, '@') + 1))`,
      userId,
      at,
    ),
    statement(
      d1,
      "DELETE FROM pending_domain_joins WHERE user_id = ?1 AND (SELECT email_verified FROM users WHERE id = ?1) = 1",
      userId,
    ),
  ];
}

/**
 * Moves user `userId` from `oldEmail` to `newEmail`, confirmed by a link sent to the new address (so
 * it is verified), only while its address is still `oldEmail`; returns the id when it did.
 */
export function changeEmailStatement(
  d1: D1Database,
  r: { userId: number; oldEmail: string; newEmail: string; at: string },
): Statement<{ id: number }> {
  return statement(
    d1,
    `UPDATE users SET email = ?3, email_verified = 1, updated_at = ?4
      WHERE id = ?1 AND lower(email) = lower(?2) RETURNING id`,
    r.userId,
    r.oldEmail,
    r.newEmail,
    r.at,
  );
}

/** Which of `names` are usernames already (lower-cased): for picking a free one for a new user. */
export async function takenUsernames(db: Db, names: readonly string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const lowered = names.map((n) => n.toLowerCase());
  const rows = await db
    .select({ username: users.username })
    .from(users)
    .where(sql`lower(${users.username}) IN (SELECT value FROM json_each(${JSON.stringify(lowered)}))`);
  return new Set(rows.map((r) => r.username.toLowerCase()));
}

const visibleAmong = prepared((db) =>
  db
    .select({ id: users.id })
    .from(users)
    .where(
      sql`${users.id} IN (SELECT value FROM json_each(${sql.placeholder("ids")}))
        AND (${sql.placeholder("orgIds")} IS NULL OR ${users.id} = ${sql.placeholder("self")}
             OR EXISTS (SELECT 1 FROM organization_members om WHERE om.user_id = ${USER_ID}
                         AND om.organization_id IN (SELECT value FROM json_each(${sql.placeholder("orgIds")}))))`,
    )
    .prepare(),
);

/**
 * `visibleUserIds()` as a read to batch with others: its `statement`, and the visible ids from its
 * rows (the users among `ids` that belong to one of `orgIds`, null: every existing user, and `self`).
 */
export function visibleUserIdsStatement(
  db: Db,
  ids: readonly number[],
  orgIds: readonly number[] | null,
  self: number,
) {
  const read = preparedStatement(visibleAmong(db), db.$client, {
    ids: JSON.stringify(ids),
    orgIds: orgIds === null ? null : JSON.stringify(orgIds),
    self,
  });
  return {
    statement: read.statement,
    ids: (rows: unknown[]) => new Set((read.rows(rows) as { id: number }[]).map((r) => r.id)),
  };
}

/** Who uses `email` (case-insensitive) as its address: a query for the caller's `db.batch()` (see `emailHolderOf()`). */
export function emailHolderQuery(db: Db, email: string) {
  return db.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = lower(${email})`).limit(1);
}

/** The id of the user `emailHolderQuery()` found, if any. */
export function emailHolderOf(rows: readonly unknown[]): number | undefined {
  return (rows[0] as { id: number } | undefined)?.id;
}

/**
 * Fails its batch (mark `mark`) unless the user is active and still at `email` (case-insensitive):
 * what an emailed token's user must be (see `tokenUser()` in auth).
 */
export function activeUserAtGuard(d1: D1Database, mark: string, userId: number, email: string): Statement {
  return guardStatement(
    d1,
    mark,
    "NOT EXISTS (SELECT 1 FROM users WHERE id = ?1 AND is_active = 1 AND lower(email) = lower(?2))",
    userId,
    email,
  );
}
