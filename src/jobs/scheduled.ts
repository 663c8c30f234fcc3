import type { Bindings } from "../env";
import { systemClock } from "../lib/clock";
import { depsOf } from "../middleware/deps";
import { purgeExpired } from "../modules/retention";

/**
 * Cron triggers (see `wrangler.toml`): every run purges what is past its retention (audit events,
 * expired sessions and refresh tokens; harmless when repeated). The daily report and the weekly
 * delivery only log until reports are built.
 */
export async function handleScheduled(
  controller: ScheduledController,
  env: Bindings,
  _ctx: ExecutionContext,
): Promise<void> {
  const purged = await purgeExpired(depsOf(env, systemClock));
  console.log(JSON.stringify({ level: "info", msg: "scheduled run", cron: controller.cron, purged }));
}
