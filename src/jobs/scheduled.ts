import type { Bindings } from "../env";
import { systemClock } from "../lib/clock";
import { depsOf } from "../middleware/deps";
import { runReportCron } from "../modules/reports";
import { purgeExpired } from "../modules/retention";
import { relayOutbox } from "../modules/webhooks";

/** The every-minute trigger: the webhook outbox relay. */
export const RELAY_CRON = "* * * * *";

/**
 * Cron triggers (see `wrangler.toml`): every run purges what is past its retention (audit events,
 * expired sessions and refresh tokens; harmless when repeated), then does its cron's report work
 * (`runReportCron`: the daily report, the weekly delivery), idempotent per scheduled time. Each part's
 * failure is logged and leaves the other part, and the next run, unaffected. The every-minute run
 * relays webhook events instead.
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
  const deps = depsOf(env, systemClock);
  const parts = {
    purged: () => purgeExpired(deps),
    reports: () => runReportCron(deps, controller.cron, controller.scheduledTime),
  };
  const done: Record<string, unknown> = {};
  for (const [part, run] of Object.entries(parts)) {
    try {
      done[part] = await run();
    } catch (err) {
      console.error(
        JSON.stringify({
          level: "error",
          msg: "scheduled run failed",
          cron: controller.cron,
          part,
          error: String(err),
        }),
      );
    }
  }
  console.log(JSON.stringify({ level: "info", msg: "scheduled run", cron: controller.cron, ...done }));
}
