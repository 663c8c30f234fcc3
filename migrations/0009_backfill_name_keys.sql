-- Data: the comparison key of existing role and organization names (src/lib/names.ts `nameKey`).
-- SQLite has no Unicode normalization: lower() gives the key of every plain ASCII name (all seeded
-- roles); a non-ASCII existing name gets its lower-cased form until it is next renamed. Existing
-- names are unique under lower() already, so this can't collide.
UPDATE roles SET name_key = lower(name) WHERE name_key IS NULL;
--> statement-breakpoint
UPDATE organizations SET name_key = lower(name) WHERE name_key IS NULL;
