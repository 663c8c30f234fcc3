import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// The same migration files that `wrangler d1 migrations apply` runs; applying is idempotent.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
