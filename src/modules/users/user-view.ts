import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { users } from "../../db/schema";

/** The outer `users.id`, always table-qualified (drizzle may render a bare `"id"`, which a subquery would rebind). */
const USER_ID = sql.raw('"users"."id"');

/** The primary system role shown as `role`, by precedence. */
const ROLE_PRECEDENCE = ["ADMIN", "KNOWLEDGE_MANAGER", "API", "EMPLOYEE"] as const;

/** A user as the API shows it: never a password hash; `email` null when the caller may not see it. */
export const UserSchema = z
  .object({
    id: z.number().int(),
    username: z.string(),
    email: z.string().nullable().openapi({ description: "Null when the caller may not see other users' emails" }),
    full_name: z.string().nullable(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    office_location: z.string().nullable(),
    department: z.string().nullable(),
    role: z.string().openapi({ example: "EMPLOYEE" }),
    role_ids: z.array(z.number().int()),
    organization_ids: z.array(z.number().int()),
    is_active: z.boolean(),
    is_admin: z.boolean(),
    receive_email: z.boolean(),
    auth_provider: z.string(),
    email_verified: z.boolean(),
    last_login: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("User");

/** A user as the API shows it. */
export type UserView = z.infer<typeof UserSchema>;

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

function ids(json: string | null): number[] {
  return json
    ? (JSON.parse(json) as (number | null)[]).filter((v): v is number => v !== null).sort((a, b) => a - b)
    : [];
}

/** Primary system role of a user, from its system role names. */
export function primaryRole(systemRoles: readonly string[]): string {
  return ROLE_PRECEDENCE.find((r) => systemRoles.includes(r)) ?? "EMPLOYEE";
}

/**
 * The API's representation of a user. `showEmail` false hides the email of another user from a
 * caller without `users:read_email`. Never includes the password hash.
 */
export function toUserView(row: UserViewRow, showEmail = true): UserView {
  const systemRoles = row.systemRoles ? (JSON.parse(row.systemRoles) as string[]) : [];
  const role = primaryRole(systemRoles);
  return {
    id: row.id,
    username: row.username,
    email: showEmail ? row.email : null,
    full_name: row.fullName,
    first_name: row.firstName,
    last_name: row.lastName,
    office_location: row.officeLocation,
    department: row.department,
    role,
    role_ids: ids(row.roleIds),
    organization_ids: ids(row.organizationIds),
    is_active: row.isActive,
    is_admin: role === "ADMIN",
    receive_email: row.receiveEmail,
    auth_provider: row.authProvider,
    email_verified: row.emailVerified,
    last_login: row.lastLogin,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}
