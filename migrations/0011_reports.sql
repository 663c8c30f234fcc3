CREATE TABLE `report_deliveries` (
	`report_id` integer NOT NULL,
	`subject` text NOT NULL,
	`user_id` integer NOT NULL,
	`message_key` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`report_id`, `subject`, `user_id`),
	FOREIGN KEY (`report_id`) REFERENCES `reports`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`period_start` text NOT NULL,
	`period_end` text NOT NULL,
	`source` text NOT NULL,
	`figures` text NOT NULL,
	`content` text NOT NULL,
	`created_by` integer,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `reports_created_idx` ON `reports` (`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `reports_scheduled_period_unique` ON `reports` (`period_start`,`period_end`) WHERE "reports"."source" = 'schedule';--> statement-breakpoint
ALTER TABLE `emails` ADD `headers` text;--> statement-breakpoint
CREATE INDEX `auth_events_event_created_idx` ON `auth_events` (`event`,`created_at`);--> statement-breakpoint
CREATE INDEX `users_created_idx` ON `users` (`created_at`);--> statement-breakpoint
CREATE INDEX `registrations_registered_idx` ON `registrations` (`registered_at`);--> statement-breakpoint
CREATE INDEX `registrations_completed_idx` ON `registrations` (`completion_date`);