/**
 * The access-control model as data (resource → actions). Every protected route names one of these
 * permissions; roles are sets of them. The system roles and permissions below are seeded by the
 * migration `0001_seed_roles.sql`, and a test holds the database to this file.
 *
 * @example
 *   route.use(requirePermission("trainings:create"))
 */
export const STATEMENTS = {
  users: ["read", "create", "update", "delete", "read_email", "manage_access"],
  organizations: ["read", "create", "update", "delete"],
  roles: ["read", "create", "update", "delete"],
  permissions: ["read", "create", "update", "delete"],
  trainings: ["read", "create", "update", "delete"],
  registrations: ["create", "manage"],
  modules: ["read", "create", "update", "delete"],
  progress: ["read", "write"],
  reports: ["read", "generate", "send"],
  webhooks: ["read", "create", "update", "delete"],
  emails: ["read"],
  login_links: ["create"],
  audit: ["read"],
  integration_keys: ["manage"],
} as const;

type Statements = typeof STATEMENTS;
/** A permission key such as `"trainings:create"`. */
export type Permission = { [R in keyof Statements]: `${R}:${Statements[R][number]}` }[keyof Statements];

export const ALL_PERMISSIONS: readonly Permission[] = Object.entries(STATEMENTS).flatMap(([resource, actions]) =>
  actions.map((action) => `${resource}:${action}` as Permission),
);

export const SYSTEM_ROLES = ["ADMIN", "KNOWLEDGE_MANAGER", "EMPLOYEE", "API"] as const;
export type SystemRole = (typeof SYSTEM_ROLES)[number];

/** What each system role grants. */
export const SYSTEM_ROLE_PERMISSIONS: Record<SystemRole, readonly Permission[]> = {
  ADMIN: ALL_PERMISSIONS,
  KNOWLEDGE_MANAGER: [
    "users:read",
    "users:read_email",
    "organizations:read",
    "roles:read",
    "permissions:read",
    "trainings:read",
    "trainings:create",
    "trainings:update",
    "trainings:delete",
    "registrations:create",
    "registrations:manage",
    "modules:read",
    "modules:create",
    "modules:update",
    "modules:delete",
    "progress:read",
    "progress:write",
    "reports:read",
    "reports:generate",
    "reports:send",
    "login_links:create",
  ],
  EMPLOYEE: ["trainings:read", "registrations:create", "modules:read"],
  API: [
    "users:read",
    "users:create",
    "users:read_email",
    "trainings:read",
    "modules:read",
    "progress:read",
    "progress:write",
    "login_links:create",
  ],
};

/** The role a self-registered user gets. */
export const DEFAULT_ROLE: SystemRole = "EMPLOYEE";

/**
 * The system role that grants every permission. Its last active holder can't be deactivated, deleted
 * or demoted, so that someone can always administer the system. Used by that invariant only, never to
 * authorize a request (routes check permissions).
 */
export const SUPERUSER_ROLE: SystemRole = "ADMIN";
