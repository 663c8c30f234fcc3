import type { Bindings } from "../env";
import { systemClock } from "../lib/clock";
import { depsOf } from "../middleware/deps";
import { relayQueuedEmails } from "../modules/email";
import { runReportCron } from "../modules/reports";
import { purgeExpired } from "../modules/retention";
import { relayOutbox } from "../modules/webhooks";

/** The every-minute trigger: the webhook outbox relay. */
const RELAY_CRON = "* * * * *";

/**
 * Cron triggers (see `wrangler.toml`): every run purges what is past its retention (audit events,
 * expired sessions and refresh tokens; harmless when repeated), then does its cron's report work
 * (`runReportCron`: the daily report, the weekly delivery), idempotent per scheduled time. Each part's
 * failure is logged and leaves the other part, and the next run, unaffected. The every-minute run
 * relays instead what a request could not hand to its queue: webhook events and emails.
 */
export async function handleScheduled(
  controller: ScheduledController,
  env: Bindings,
  _ctx: ExecutionContext,
): Promise<void> {
  if (controller.cron === RELAY_CRON) {
    const deps = depsOf(env, systemClock);
    // Each relay on its own: one failing leaves the other to run.
    const [events, emails] = await Promise.allSettled([relayOutbox(deps), relayQueuedEmails(deps)]);
    for (const [what, result] of [
      ["webhook events", events],
      ["emails", emails],
    ] as const) {
      if (result.status === "rejected") {
        console.error(JSON.stringify({ level: "error", msg: `${what} relay failed`, error: String(result.reason) }));
      } else if (result.value) {
        console.log(JSON.stringify({ level: "info", msg: `${what} relayed`, relayed: result.value }));
      }
    }
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
