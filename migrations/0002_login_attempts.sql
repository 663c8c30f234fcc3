CREATE TABLE `login_attempts` (
	`kind` text NOT NULL,
	`subject` text NOT NULL,
	`source` text NOT NULL,
	`failures` integer NOT NULL,
	`window_started_ms` integer NOT NULL,
	`locked_until_ms` integer NOT NULL,
	PRIMARY KEY(`kind`, `subject`, `source`)
);
--> statement-breakpoint
CREATE INDEX `login_attempts_window_idx` ON `login_attempts` (`window_started_ms`);