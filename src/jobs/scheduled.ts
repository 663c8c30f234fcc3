import type { Bindings } from "../env";
import { systemClock } from "../lib/clock";
import { depsOf } from "../middleware/deps";
import { purgeExpired } from "../modules/retention";
import { relayOutbox } from "../modules/webhooks";

/** The every-minute trigger: the webhook outbox relay. */
export const RELAY_CRON = "* * * * *";

/**
 * Cron triggers (see `wrangler.toml`): every run purges what is past its retention (audit events,
 * expired sessions and refresh tokens; harmless when repeated). The daily report and the weekly
 * delivery only log until reports are built. The every-minute run relays webhook events instead.
 */
export async function handleScheduled(
  controller: ScheduledController,
  env: Bindings,
  _ctx: ExecutionContext,
): Promise<void> {
  if (controller.cron === RELAY_CRON) {
    const relayed = await relayOutbox(depsOf(env, systemClock));
    if (relayed) console.log(JSON.stringify({ level: "info", msg: "webhook events relayed", relayed }));
    return;
  }
  const purged = await purgeExpired(depsOf(env, systemClock));
  console.log(JSON.stringify({ level: "info", msg: "scheduled run", cron: controller.cron, purged }));
}
