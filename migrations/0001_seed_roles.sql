-- System roles and permissions (src/lib/permissions.ts). Custom ones are created through the API.
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('users', 'read', 'read users', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('users', 'create', 'create users', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('users', 'update', 'update users', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('users', 'delete', 'delete users', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('users', 'read_email', 'read email users', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('users', 'manage_access', 'manage access users', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('organizations', 'read', 'read organizations', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('organizations', 'create', 'create organizations', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('organizations', 'update', 'update organizations', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('organizations', 'delete', 'delete organizations', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('roles', 'read', 'read roles', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('roles', 'create', 'create roles', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('roles', 'update', 'update roles', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('roles', 'delete', 'delete roles', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('permissions', 'read', 'read permissions', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('permissions', 'create', 'create permissions', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('permissions', 'update', 'update permissions', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('permissions', 'delete', 'delete permissions', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('trainings', 'read', 'read trainings', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('trainings', 'create', 'create trainings', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('trainings', 'update', 'update trainings', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('trainings', 'delete', 'delete trainings', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('registrations', 'create', 'create registrations', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('registrations', 'manage', 'manage registrations', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('modules', 'read', 'read modules', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('modules', 'create', 'create modules', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('modules', 'update', 'update modules', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('modules', 'delete', 'delete modules', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('progress', 'read', 'read progress', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('progress', 'write', 'write progress', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('reports', 'read', 'read reports', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('reports', 'generate', 'generate reports', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('reports', 'send', 'send reports', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('webhooks', 'read', 'read webhooks', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('webhooks', 'create', 'create webhooks', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('webhooks', 'update', 'update webhooks', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('webhooks', 'delete', 'delete webhooks', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('emails', 'read', 'read emails', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('login_links', 'create', 'create login links', 1);
--> statement-breakpoint
INSERT INTO permissions (resource, action, description, is_system) VALUES ('audit', 'read', 'read audit', 1);
--> statement-breakpoint
INSERT INTO roles (name, description, is_system) VALUES ('ADMIN', 'Administrators: every permission', 1);
--> statement-breakpoint
INSERT INTO roles (name, description, is_system) VALUES ('KNOWLEDGE_MANAGER', 'Manage trainings, modules, progress and reports (the Manager of KC7)', 1);
--> statement-breakpoint
INSERT INTO roles (name, description, is_system) VALUES ('EMPLOYEE', 'Self-service: read trainings and modules, register oneself', 1);
--> statement-breakpoint
INSERT INTO roles (name, description, is_system) VALUES ('API', 'Integrations: user provisioning, progress and login links', 1);
--> statement-breakpoint
INSERT INTO role_permissions (role_id, permission_id) SELECT r.id, p.id FROM roles r JOIN permissions p ON p.organization_id IS NULL AND (p.resource || ':' || p.action) IN ('users:read', 'users:create', 'users:update', 'users:delete', 'users:read_email', 'users:manage_access', 'organizations:read', 'organizations:create', 'organizations:update', 'organizations:delete', 'roles:read', 'roles:create', 'roles:update', 'roles:delete', 'permissions:read', 'permissions:create', 'permissions:update', 'permissions:delete', 'trainings:read', 'trainings:create', 'trainings:update', 'trainings:delete', 'registrations:create', 'registrations:manage', 'modules:read', 'modules:create', 'modules:update', 'modules:delete', 'progress:read', 'progress:write', 'reports:read', 'reports:generate', 'reports:send', 'webhooks:read', 'webhooks:create', 'webhooks:update', 'webhooks:delete', 'emails:read', 'login_links:create', 'audit:read') WHERE r.name = 'ADMIN' AND r.organization_id IS NULL;
--> statement-breakpoint
INSERT INTO role_permissions (role_id, permission_id) SELECT r.id, p.id FROM roles r JOIN permissions p ON p.organization_id IS NULL AND (p.resource || ':' || p.action) IN ('users:read', 'users:read_email', 'organizations:read', 'roles:read', 'permissions:read', 'trainings:read', 'trainings:create', 'trainings:update', 'trainings:delete', 'registrations:create', 'registrations:manage', 'modules:read', 'modules:create', 'modules:update', 'modules:delete', 'progress:read', 'progress:write', 'reports:read', 'reports:generate', 'reports:send', 'login_links:create') WHERE r.name = 'KNOWLEDGE_MANAGER' AND r.organization_id IS NULL;
--> statement-breakpoint
INSERT INTO role_permissions (role_id, permission_id) SELECT r.id, p.id FROM roles r JOIN permissions p ON p.organization_id IS NULL AND (p.resource || ':' || p.action) IN ('trainings:read', 'registrations:create', 'modules:read') WHERE r.name = 'EMPLOYEE' AND r.organization_id IS NULL;
--> statement-breakpoint
INSERT INTO role_permissions (role_id, permission_id) SELECT r.id, p.id FROM roles r JOIN permissions p ON p.organization_id IS NULL AND (p.resource || ':' || p.action) IN ('users:read', 'users:create', 'users:read_email', 'trainings:read', 'modules:read', 'progress:read', 'progress:write', 'login_links:create') WHERE r.name = 'API' AND r.organization_id IS NULL;
