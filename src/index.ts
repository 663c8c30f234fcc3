import { app } from "./app";
import type { Bindings } from "./env";
import { handleQueue } from "./jobs/queue";
import { handleScheduled } from "./jobs/scheduled";

/** The Worker: HTTP through the Hono app, queue consumers and cron triggers through `jobs/`. */
export default {
  fetch: app.fetch,
  queue: handleQueue,
  scheduled: handleScheduled,
} satisfies ExportedHandler<Bindings>;
