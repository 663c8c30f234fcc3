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

/**
 * The readable name of each system permission (the RBAC System shows permissions as "View Users").
 * Seeded by the migration `0003_permission_names_data.sql`; a test holds the database to it, so a
 * change here needs a migration that applies it.
 */
export const PERMISSION_NAMES: Readonly<Record<Permission, string>> = {
  "users:read": "View Users",
  "users:create": "Create Users",
  "users:update": "Update Users",
  "users:delete": "Delete Users",
  "users:read_email": "View User Emails",
  "users:manage_access": "Manage User Access",
  "organizations:read": "View Organizations",
  "organizations:create": "Create Organizations",
  "organizations:update": "Update Organizations",
  "organizations:delete": "Delete Organizations",
  "roles:read": "View Roles",
  "roles:create": "Create Roles",
  "roles:update": "Update Roles",
  "roles:delete": "Delete Roles",
  "permissions:read": "View Permissions",
  "permissions:create": "Create Permissions",
  "permissions:update": "Update Permissions",
  "permissions:delete": "Delete Permissions",
  "trainings:read": "View Trainings",
  "trainings:create": "Create Trainings",
  "trainings:update": "Update Trainings",
  "trainings:delete": "Delete Trainings",
  "registrations:create": "Register for Trainings",
  "registrations:manage": "Manage Registrations",
  "modules:read": "View Modules",
  "modules:create": "Create Modules",
  "modules:update": "Update Modules",
  "modules:delete": "Delete Modules",
  "progress:read": "View Progress",
  "progress:write": "Record Progress",
  "reports:read": "View Reports",
  "reports:generate": "Generate Reports",
  "reports:send": "Send Reports",
  "webhooks:read": "View Webhooks",
  "webhooks:create": "Create Webhooks",
  "webhooks:update": "Update Webhooks",
  "webhooks:delete": "Delete Webhooks",
  "emails:read": "View Emails",
  "login_links:create": "Create Login Links",
  "audit:read": "View Audit Events",
  "integration_keys:manage": "Manage Integration Keys",
};

export const SYSTEM_ROLES = ["ADMIN", "KNOWLEDGE_MANAGER", "EMPLOYEE", "API"] as const;
export type SystemRole = (typeof SYSTEM_ROLES)[number];

/**
 * Other names of system roles that clients of the original systems send (KC7 calls
 * `KNOWLEDGE_MANAGER` "Manager"). Accepted wherever a role name is; answers show the canonical name.
 */
export const ROLE_ALIASES = { MANAGER: "KNOWLEDGE_MANAGER" } as const satisfies Record<string, SystemRole>;

/**
 * The canonical name for `name`: a system role's alias (any case) becomes that role's name; any other
 * name is returned as given.
 *
 * @example
 *   canonicalRoleName("Manager") // "KNOWLEDGE_MANAGER"
 */
export function canonicalRoleName(name: string): string {
  const upper = name.toUpperCase();
  return upper in ROLE_ALIASES ? ROLE_ALIASES[upper as keyof typeof ROLE_ALIASES] : name;
}

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
