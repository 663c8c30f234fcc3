import type { Bindings } from "../env";

/** Cron triggers (see `wrangler.toml`): the daily report and the weekly delivery. */
export async function handleScheduled(
  controller: ScheduledController,
  _env: Bindings,
  _ctx: ExecutionContext,
): Promise<void> {
  console.log(JSON.stringify({ level: "info", msg: "scheduled run", cron: controller.cron }));
}
