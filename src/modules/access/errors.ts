import { defineErrors } from "../../lib/errors";
import { SUPERUSER_ROLE } from "../../lib/permissions";

/** Every error code of users, organizations, roles and permissions. */
export const AccessErrors = defineErrors({
  USER_NOT_FOUND: (value: number | string, field = "id") => ({
    status: 404,
    detail: `User with ${field} ${value} not found`,
  }),
  USERNAME_TAKEN: (username: string) => ({ status: 409, detail: `Username '${username}' is already taken` }),
  EMAIL_TAKEN: (email: string) => ({ status: 409, detail: `Email '${email}' is already registered` }),
  LAST_ADMIN: () => ({
    status: 409,
    detail: `The last active ${SUPERUSER_ROLE} can't be deactivated, deleted or demoted`,
  }),
  FIELD_NOT_ALLOWED: (fields: readonly string[], requirement: string) => ({
    status: 403,
    detail: `Setting ${fields.join(", ")} requires ${requirement}`,
  }),
  PRIVILEGE_ESCALATION: (detail: string) => ({ status: 403, detail }),
  REAUTHENTICATION_REQUIRED: (minutes: number) => ({
    status: 403,
    detail: `Changing your email or username needs a sign-in within the last ${minutes} minutes; sign in again`,
  }),
  ORGANIZATION_NOT_FOUND: (id: number) => ({ status: 404, detail: `Organization with id ${id} not found` }),
  ORGANIZATION_NAME_TAKEN: (name: string) => ({ status: 409, detail: `Organization '${name}' already exists` }),
  ORGANIZATION_NOT_EMPTY: (id: number, usage: { members: number; roles: number; permissions: number }) => ({
    status: 409,
    detail: `Organization ${id} still has ${usage.members} member(s), ${usage.roles} role(s) and ${usage.permissions} permission(s); remove them first`,
  }),
  MEMBER_NOT_FOUND: (userId: number) => ({ status: 404, detail: `Member with user_id ${userId} not found` }),
  ROLE_NOT_FOUND: (value: number | string, field = "id") => ({
    status: 404,
    detail: `Role with ${field} ${value} not found`,
  }),
  ROLE_NAME_TAKEN: (name: string) => ({ status: 409, detail: `Role '${name}' already exists` }),
  SYSTEM_ROLE_READ_ONLY: (id: number) => ({
    status: 409,
    detail: `Role ${id} is a system role and can't be changed or deleted`,
  }),
  ROLE_IN_USE: (id: number) => ({ status: 409, detail: `Role ${id} is still assigned to users; unassign it first` }),
  PERMISSION_NOT_FOUND: (id: number) => ({ status: 404, detail: `Permission with id ${id} not found` }),
  PERMISSION_EXISTS: (key: string) => ({ status: 409, detail: `Permission '${key}' already exists` }),
  PERMISSION_NAME_TAKEN: (name: string) => ({ status: 409, detail: `A permission named '${name}' already exists` }),
  SYSTEM_PERMISSION_READ_ONLY: (id: number) => ({
    status: 409,
    detail: `Permission ${id} is a system permission and can't be changed or deleted`,
  }),
  PERMISSION_IN_USE: (id: number) => ({
    status: 409,
    detail: `Permission ${id} is granted by roles; remove it from them first`,
  }),
});
