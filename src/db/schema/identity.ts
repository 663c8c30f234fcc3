import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { bool, timestamps } from "./columns";

/** People and integrations that can sign in. Usernames and emails are unique case-insensitively. */
export const users = sqliteTable(
  "users",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    username: text("username").notNull(),
    email: text("email").notNull(),
    /** Self-describing PBKDF2 hash (`pbkdf2-sha256$<iterations>$<salt>$<hash>`); null for passwordless users. */
    passwordHash: text("password_hash"),
    fullName: text("full_name"),
    firstName: text("first_name"),
    lastName: text("last_name"),
    officeLocation: text("office_location"),
    department: text("department"),
    isActive: bool("is_active").notNull().default(true),
    receiveEmail: bool("receive_email").notNull().default(true),
    authProvider: text("auth_provider").notNull().default("local"),
    emailVerified: bool("email_verified").notNull().default(false),
    lastLogin: text("last_login"),
    /** Access tokens issued before this instant are refused (password change, deactivation). */
    tokensValidAfter: text("tokens_valid_after"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("users_username_unique").on(sql`lower(${t.username})`),
    uniqueIndex("users_email_unique").on(sql`lower(${t.email})`),
    // Reports count the users who joined in a period (`src/modules/reports`).
    index("users_created_idx").on(t.createdAt),
  ],
);

export const organizations = sqliteTable(
  "organizations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    description: text("description"),
    domain: text("domain"),
    active: bool("active").notNull().default(true),
    /** `nameKey(name)` (src/lib/names.ts): names that look alike share it. */
    nameKey: text("name_key"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("organizations_name_unique").on(sql`lower(${t.name})`),
    uniqueIndex("organizations_name_key_unique").on(t.nameKey),
  ],
);

/** Membership of a user in an organization; `is_admin` makes the user one of the organization's `admin_ids`. */
export const organizationMembers = sqliteTable(
  "organization_members",
  {
    organizationId: integer("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    isAdmin: bool("is_admin").notNull().default(false),
    createdAt: timestamps.createdAt,
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.userId] }), index("organization_members_user_idx").on(t.userId)],
);

/** System roles (`is_system`) and custom roles, the latter optionally scoped to one organization. */
export const roles = sqliteTable(
  "roles",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    description: text("description"),
    isSystem: bool("is_system").notNull().default(false),
    organizationId: integer("organization_id").references(() => organizations.id, { onDelete: "restrict" }),
    /** `nameKey(name)` (src/lib/names.ts): names that look alike share it. */
    nameKey: text("name_key"),
    ...timestamps,
  },
  // Role names are unique among global roles and within one organization (two partial indexes,
  // as SQLite treats NULLs as distinct in a unique index).
  (t) => [
    uniqueIndex("roles_global_name_unique").on(sql`lower(${t.name})`).where(sql`${t.organizationId} IS NULL`),
    uniqueIndex("roles_org_name_unique")
      .on(t.organizationId, sql`lower(${t.name})`)
      .where(sql`${t.organizationId} IS NOT NULL`),
    uniqueIndex("roles_global_name_key_unique").on(t.nameKey).where(sql`${t.organizationId} IS NULL`),
    uniqueIndex("roles_org_name_key_unique")
      .on(t.organizationId, t.nameKey)
      .where(sql`${t.organizationId} IS NOT NULL`),
  ],
);

/**
 * A `resource` + `action` pair such as `trainings:create`, with a readable `name` ("View Users", as
 * the RBAC System shows it); system permissions are seeded and can't be deleted. `name` is unique
 * case-insensitively among global permissions and within one organization. It is nullable only so
 * that adding it needed no table rebuild: a data migration named every existing permission, and
 * every write sets it.
 */
export const permissions = sqliteTable(
  "permissions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name"),
    resource: text("resource").notNull(),
    action: text("action").notNull(),
    description: text("description"),
    isSystem: bool("is_system").notNull().default(false),
    organizationId: integer("organization_id").references(() => organizations.id, { onDelete: "restrict" }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("permissions_global_unique").on(t.resource, t.action).where(sql`${t.organizationId} IS NULL`),
    uniqueIndex("permissions_org_unique")
      .on(t.organizationId, t.resource, t.action)
      .where(sql`${t.organizationId} IS NOT NULL`),
    uniqueIndex("permissions_global_name_unique").on(sql`lower(${t.name})`).where(sql`${t.organizationId} IS NULL`),
    uniqueIndex("permissions_org_name_unique")
      .on(t.organizationId, sql`lower(${t.name})`)
      .where(sql`${t.organizationId} IS NOT NULL`),
  ],
);

export const rolePermissions = sqliteTable(
  "role_permissions",
  {
    roleId: integer("role_id")
      .notNull()
      .references(() => roles.id, { onDelete: "cascade" }),
    permissionId: integer("permission_id")
      .notNull()
      .references(() => permissions.id, { onDelete: "cascade" }),
  },
  (t) => [
    primaryKey({ columns: [t.roleId, t.permissionId] }),
    index("role_permissions_permission_idx").on(t.permissionId),
  ],
);

export const userRoles = sqliteTable(
  "user_roles",
  {
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    roleId: integer("role_id")
      .notNull()
      .references(() => roles.id, { onDelete: "restrict" }),
    createdAt: timestamps.createdAt,
  },
  (t) => [primaryKey({ columns: [t.userId, t.roleId] }), index("user_roles_role_idx").on(t.roleId)],
);

/**
 * Organizations a self-registered user asked to join by its email's domain. Only a verified address
 * may match a domain, so the membership waits here until the email is verified (then it is granted in
 * the same batch, if the organization is still active and of that domain) and is dropped then.
 */
export const pendingDomainJoins = sqliteTable(
  "pending_domain_joins",
  {
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    organizationId: integer("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    createdAt: timestamps.createdAt,
  },
  (t) => [primaryKey({ columns: [t.userId, t.organizationId] })],
);
