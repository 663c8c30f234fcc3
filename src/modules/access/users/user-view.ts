import * as z from "zod/mini";
import { jsonIds, jsonStrings } from "../../../db/sql";
import { doc, named } from "../../../lib/openapi";
import type { UserViewRow } from "./user-repository";

/** The primary system role shown as `role`, by precedence. */
const ROLE_PRECEDENCE = ["ADMIN", "KNOWLEDGE_MANAGER", "API", "EMPLOYEE"] as const;

/** A user as the API shows it: never a password hash; `email` null when the caller may not see it. */
export const UserSchema = named(
  z.object({
    id: z.int(),
    username: z.string(),
    email: doc(z.nullable(z.string()), { description: "Null when the caller may not see other users' emails" }),
    full_name: z.nullable(z.string()),
    first_name: z.nullable(z.string()),
    last_name: z.nullable(z.string()),
    office_location: z.nullable(z.string()),
    department: z.nullable(z.string()),
    role: doc(z.string(), { example: "EMPLOYEE" }),
    role_ids: z.array(z.int()),
    organization_ids: z.array(z.int()),
    is_active: z.boolean(),
    is_admin: z.boolean(),
    receive_email: z.boolean(),
    auth_provider: z.string(),
    email_verified: z.boolean(),
    last_login: z.nullable(z.string()),
    created_at: z.string(),
    updated_at: z.string(),
  }),
  "User",
);

/** A user as the API shows it. */
export type UserView = z.infer<typeof UserSchema>;

/** Primary system role of a user, from its system role names. */
export function primaryRole(systemRoles: readonly string[]): string {
  return ROLE_PRECEDENCE.find((r) => systemRoles.includes(r)) ?? "EMPLOYEE";
}

/**
 * The API's representation of a user. `showEmail` false hides the email of another user from a
 * caller without `users:read_email`. Never includes the password hash.
 */
export function toUserView(row: UserViewRow, showEmail = true): UserView {
  const systemRoles = jsonStrings(row.systemRoles);
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
    role_ids: jsonIds(row.roleIds),
    organization_ids: jsonIds(row.organizationIds),
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
