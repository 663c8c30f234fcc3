import { defineConfig } from "drizzle-kit";

/** drizzle-kit generates SQL migrations into `migrations/`; wrangler applies them (`npm run db:migrate`). */
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema/index.ts",
  out: "./migrations",
});
