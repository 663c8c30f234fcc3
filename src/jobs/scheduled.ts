import { claimRunRedoStatement, lastCompletedRunsStatement, recordCompletedRunStatement } from "../db/scheduled-runs";
import { runBatch, runOne } from "../db/statement";
import type { Bindings } from "../env";
import { isoAt, systemClock } from "../lib/clock";
import { type Deps, depsOf } from "../middleware/deps";
import { relayQueuedEmails } from "../modules/email";
import { REPORT_SCHEDULES, runReportCron } from "../modules/reports";
import { purgeExpired } from "../modules/retention";
import { relayOutbox } from "../modules/webhooks";

/** The every-minute trigger: the relays, and redoing a report run that did not complete. */
const RELAY_CRON = "* * * * *";
/**
 * A report run that did not complete is redone once this long has passed since its time, and a redo
 * holds the run this long: longer than an invocation may last (15 minutes), so a run (or a redo)
 * still going is never redone beside it, and a failing run is retried every 20 minutes.
 */
const REDO_AFTER_MS = 20 * 60_000;
const REDO_LEASE_MS = 20 * 60_000;

/**
 * Cron triggers (see `wrangler.toml`): every run purges what is past its retention (audit events,
 * expired sessions and refresh tokens; harmless when repeated), then does its cron's report work
 * (`runReportCron`: the daily report, the weekly delivery), idempotent per scheduled time. Each part's
 * failure is logged and leaves the other part unaffected; a run whose report work succeeded is
 * recorded (`scheduled_runs`). The every-minute run relays what a request could not hand to its queue
 * (webhook events and emails) and redoes the latest run of each report cron when it was not recorded
 * (it failed, or its trigger never came), under a claim of `REDO_LEASE_MS`; a cron never recorded (a
 * fresh deployment) is left to its trigger.
 */
export async function handleScheduled(
  controller: ScheduledController,
  env: Bindings,
  _ctx: ExecutionContext,
): Promise<void> {
  const deps = depsOf(env, systemClock);
  if (controller.cron === RELAY_CRON) {
    // Each on its own: one failing leaves the others to run.
    const [events, emails, redone] = await Promise.allSettled([
      relayOutbox(deps),
      relayQueuedEmails(deps),
      redoIncompleteRuns(deps, controller.scheduledTime),
    ]);
    for (const [what, done, key, result] of [
      ["webhook events relay", "webhook events relayed", "relayed", events],
      ["emails relay", "emails relayed", "relayed", emails],
      ["scheduled runs redo", "scheduled runs redone", "crons", redone],
    ] as const) {
      if (result.status === "rejected") {
        console.error(JSON.stringify({ level: "error", msg: `${what} failed`, error: String(result.reason) }));
      } else if (result.value) {
        console.log(JSON.stringify({ level: "info", msg: done, [key]: result.value }));
      }
    }
    return;
  }
  await runCron(deps, controller.cron, controller.scheduledTime);
}

/** A run's scheduled time as `scheduled_runs` keys it (the whole minute). */
const runKey = (scheduledTime: number) => isoAt(Math.floor(scheduledTime / 60_000) * 60_000);

/** Runs the parts of a cron's run scheduled at `scheduledTime`; records the run when its report work succeeded. */
async function runCron(deps: Deps, cron: string, scheduledTime: number): Promise<boolean> {
  const parts = {
    purged: () => purgeExpired(deps),
    reports: () => runReportCron(deps, cron, scheduledTime),
  };
  const done: Record<string, unknown> = {};
  const failed = new Set<string>();
  for (const [part, run] of Object.entries(parts)) {
    try {
      done[part] = await run();
    } catch (err) {
      failed.add(part);
      console.error(JSON.stringify({ level: "error", msg: "scheduled run failed", cron, part, error: String(err) }));
    }
  }
  // Only the report work belongs to the run (the purge runs again with every run anyway).
  const completed = !failed.has("reports");
  if (completed) {
    await runBatch(deps.d1, [
      recordCompletedRunStatement(deps.d1, cron, runKey(scheduledTime), isoAt(deps.clock.now())),
    ]);
  }
  console.log(JSON.stringify({ level: "info", msg: "scheduled run", cron, ...done }));
  return completed;
}

/**
 * Redoes the latest run (at or before `now`) of each report cron that has an earlier run recorded
 * but not this one, once `REDO_AFTER_MS` have passed since its time, under a claim no other redo
 * holds. One read when there is nothing to redo. Returns the crons redone.
 */
async function redoIncompleteRuns(deps: Deps, now: number): Promise<string[] | undefined> {
  const last = await runOne(
    deps.d1,
    lastCompletedRunsStatement(
      deps.d1,
      REPORT_SCHEDULES.map((s) => s.cron),
    ),
  );
  const redone: string[] = [];
  for (const schedule of REPORT_SCHEDULES) {
    const due = schedule.latestAt(now);
    const recorded = last.find((r) => r.cron === schedule.cron)?.last;
    if (!recorded || recorded >= runKey(due) || now - due < REDO_AFTER_MS) continue;
    const claimed = await runOne(
      deps.d1,
      claimRunRedoStatement(deps.d1, schedule.cron, runKey(due), isoAt(now), isoAt(now + REDO_LEASE_MS)),
    );
    if (claimed.length === 0) continue;
    console.warn(
      JSON.stringify({ level: "warn", msg: "redoing a scheduled run", cron: schedule.cron, at: isoAt(due) }),
    );
    if (await runCron(deps, schedule.cron, due)) redone.push(schedule.cron);
  }
  return redone.length ? redone : undefined;
}
