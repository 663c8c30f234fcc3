ALTER TABLE `organizations` ADD `name_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `organizations_name_key_unique` ON `organizations` (`name_key`);--> statement-breakpoint
ALTER TABLE `roles` ADD `name_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `roles_global_name_key_unique` ON `roles` (`name_key`) WHERE "roles"."organization_id" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `roles_org_name_key_unique` ON `roles` (`organization_id`,`name_key`) WHERE "roles"."organization_id" IS NOT NULL;