import { app } from "./app";
import type { Bindings } from "./env";
import { handleQueue } from "./jobs/queue";
import { handleScheduled } from "./jobs/scheduled";

/** Durable Object classes must be exported by the Worker's main module (`wrangler.toml` binds them). */
export { ChatSocket } from "./durable/chat-socket";

/** The Worker: HTTP through the Hono app, queue consumers and cron triggers through `jobs/`. */
export default {
  fetch: app.fetch,
  queue: handleQueue,
  scheduled: handleScheduled,
} satisfies ExportedHandler<Bindings>;
