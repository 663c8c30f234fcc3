DROP INDEX `auth_events_event_created_idx`;--> statement-breakpoint
CREATE INDEX `auth_events_event_created_idx` ON `auth_events` (`event`,`created_at`,`user_id`);--> statement-breakpoint
DROP INDEX `users_created_idx`;--> statement-breakpoint
CREATE INDEX `users_created_idx` ON `users` (`created_at`,`is_active`);--> statement-breakpoint
DROP INDEX `registrations_registered_idx`;--> statement-breakpoint
CREATE INDEX `registrations_registered_idx` ON `registrations` (`registered_at`,`status`,`training_id`);