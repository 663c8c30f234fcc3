CREATE TABLE `scheduled_runs` (
	`cron` text NOT NULL,
	`scheduled_for` text NOT NULL,
	`completed_at` text,
	`leased_until` text,
	PRIMARY KEY(`cron`, `scheduled_for`)
);
