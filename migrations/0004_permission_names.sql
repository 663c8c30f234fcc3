ALTER TABLE `permissions` ADD `name` text;--> statement-breakpoint
CREATE UNIQUE INDEX `permissions_global_name_unique` ON `permissions` (lower("name")) WHERE "permissions"."organization_id" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `permissions_org_name_unique` ON `permissions` (`organization_id`,lower("name")) WHERE "permissions"."organization_id" IS NOT NULL;