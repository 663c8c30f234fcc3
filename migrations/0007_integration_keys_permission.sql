-- Integration keys are managed by holders of `integration_keys:manage` (src/lib/permissions.ts): a
-- new system permission, named as PERMISSION_NAMES names it, granted to ADMIN (which holds every permission).
INSERT INTO permissions (resource, action, name, description, is_system) VALUES ('integration_keys', 'manage', 'Manage Integration Keys', 'manage integration keys', 1);
--> statement-breakpoint
INSERT INTO role_permissions (role_id, permission_id) SELECT r.id, p.id FROM roles r JOIN permissions p ON p.organization_id IS NULL AND p.resource = 'integration_keys' AND p.action = 'manage' WHERE r.name = 'ADMIN' AND r.organization_id IS NULL;
