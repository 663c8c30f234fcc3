-- Readable names for the system permissions (PERMISSION_NAMES in src/lib/permissions.ts), and the
-- key (resource:action) as the name of any custom permission created before permissions had names.
--> statement-breakpoint
UPDATE permissions SET name = 'View Users' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'users' AND action = 'read';
--> statement-breakpoint
UPDATE permissions SET name = 'Create Users' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'users' AND action = 'create';
--> statement-breakpoint
UPDATE permissions SET name = 'Update Users' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'users' AND action = 'update';
--> statement-breakpoint
UPDATE permissions SET name = 'Delete Users' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'users' AND action = 'delete';
--> statement-breakpoint
UPDATE permissions SET name = 'View User Emails' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'users' AND action = 'read_email';
--> statement-breakpoint
UPDATE permissions SET name = 'Manage User Access' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'users' AND action = 'manage_access';
--> statement-breakpoint
UPDATE permissions SET name = 'View Organizations' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'organizations' AND action = 'read';
--> statement-breakpoint
UPDATE permissions SET name = 'Create Organizations' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'organizations' AND action = 'create';
--> statement-breakpoint
UPDATE permissions SET name = 'Update Organizations' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'organizations' AND action = 'update';
--> statement-breakpoint
UPDATE permissions SET name = 'Delete Organizations' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'organizations' AND action = 'delete';
--> statement-breakpoint
UPDATE permissions SET name = 'View Roles' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'roles' AND action = 'read';
--> statement-breakpoint
UPDATE permissions SET name = 'Create Roles' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'roles' AND action = 'create';
--> statement-breakpoint
UPDATE permissions SET name = 'Update Roles' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'roles' AND action = 'update';
--> statement-breakpoint
UPDATE permissions SET name = 'Delete Roles' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'roles' AND action = 'delete';
--> statement-breakpoint
UPDATE permissions SET name = 'View Permissions' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'permissions' AND action = 'read';
--> statement-breakpoint
UPDATE permissions SET name = 'Create Permissions' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'permissions' AND action = 'create';
--> statement-breakpoint
UPDATE permissions SET name = 'Update Permissions' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'permissions' AND action = 'update';
--> statement-breakpoint
UPDATE permissions SET name = 'Delete Permissions' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'permissions' AND action = 'delete';
--> statement-breakpoint
UPDATE permissions SET name = 'View Trainings' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'trainings' AND action = 'read';
--> statement-breakpoint
UPDATE permissions SET name = 'Create Trainings' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'trainings' AND action = 'create';
--> statement-breakpoint
UPDATE permissions SET name = 'Update Trainings' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'trainings' AND action = 'update';
--> statement-breakpoint
UPDATE permissions SET name = 'Delete Trainings' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'trainings' AND action = 'delete';
--> statement-breakpoint
UPDATE permissions SET name = 'Register for Trainings' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'registrations' AND action = 'create';
--> statement-breakpoint
UPDATE permissions SET name = 'Manage Registrations' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'registrations' AND action = 'manage';
--> statement-breakpoint
UPDATE permissions SET name = 'View Modules' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'modules' AND action = 'read';
--> statement-breakpoint
UPDATE permissions SET name = 'Create Modules' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'modules' AND action = 'create';
--> statement-breakpoint
UPDATE permissions SET name = 'Update Modules' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'modules' AND action = 'update';
--> statement-breakpoint
UPDATE permissions SET name = 'Delete Modules' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'modules' AND action = 'delete';
--> statement-breakpoint
UPDATE permissions SET name = 'View Progress' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'progress' AND action = 'read';
--> statement-breakpoint
UPDATE permissions SET name = 'Record Progress' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'progress' AND action = 'write';
--> statement-breakpoint
UPDATE permissions SET name = 'View Reports' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'reports' AND action = 'read';
--> statement-breakpoint
UPDATE permissions SET name = 'Generate Reports' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'reports' AND action = 'generate';
--> statement-breakpoint
UPDATE permissions SET name = 'Send Reports' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'reports' AND action = 'send';
--> statement-breakpoint
UPDATE permissions SET name = 'View Webhooks' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'webhooks' AND action = 'read';
--> statement-breakpoint
UPDATE permissions SET name = 'Create Webhooks' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'webhooks' AND action = 'create';
--> statement-breakpoint
UPDATE permissions SET name = 'Update Webhooks' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'webhooks' AND action = 'update';
--> statement-breakpoint
UPDATE permissions SET name = 'Delete Webhooks' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'webhooks' AND action = 'delete';
--> statement-breakpoint
UPDATE permissions SET name = 'View Emails' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'emails' AND action = 'read';
--> statement-breakpoint
UPDATE permissions SET name = 'Create Login Links' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'login_links' AND action = 'create';
--> statement-breakpoint
UPDATE permissions SET name = 'View Audit Events' WHERE is_system = 1 AND organization_id IS NULL AND resource = 'audit' AND action = 'read';
--> statement-breakpoint
UPDATE permissions SET name = resource || ':' || action WHERE name IS NULL;
