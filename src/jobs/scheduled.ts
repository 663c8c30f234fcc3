import type { Bindings } from "../env";

/** Cron triggers (see `wrangler.toml`), reserved for the daily report and the weekly delivery; they only log until reports are built. */
export async function handleScheduled(
  controller: ScheduledController,
  _env: Bindings,
  _ctx: ExecutionContext,
): Promise<void> {
  console.log(JSON.stringify({ level: "info", msg: "scheduled run", cron: controller.cron }));
}
