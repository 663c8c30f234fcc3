import type { Deps } from "../../middleware/deps";
import { generateReport } from "./report-service";
import { sendReport } from "./send-service";

/** The cron triggers of reports (`wrangler.toml`). */
export const DAILY_REPORT_CRON = "0 2 * * *";
export const WEEKLY_DELIVERY_CRON = "0 7 * * 1";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Midnight UTC of the day of `ms`. */
const dayStart = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

/**
 * The report crons, each with the time of its latest run at or before `now` (epoch ms): what the
 * every-minute run redoes when that run did not complete (see `src/jobs/scheduled.ts`).
 */
export const REPORT_SCHEDULES: readonly { cron: string; latestAt(now: number): number }[] = [
  {
    cron: DAILY_REPORT_CRON, // 02:00 UTC every day
    latestAt: (now) => {
      const today = dayStart(now) + 2 * HOUR_MS;
      return today <= now ? today : today - DAY_MS;
    },
  },
  {
    cron: WEEKLY_DELIVERY_CRON, // 07:00 UTC on Mondays
    latestAt: (now) => {
      const day = dayStart(now);
      const monday = day - ((new Date(day).getUTCDay() + 6) % 7) * DAY_MS + 7 * HOUR_MS;
      return monday <= now ? monday : monday - 7 * DAY_MS;
    },
  },
];
const iso = (ms: number) => new Date(ms).toISOString();

/** Where links in scheduled emails point: `PUBLIC_URL` (no request to take an origin from). */
function scheduledBase(deps: Deps): string {
  if (deps.config.publicUrl) return deps.config.publicUrl;
  console.warn(JSON.stringify({ level: "warn", msg: "PUBLIC_URL unset: report email links point at localhost" }));
  return "http://localhost:8787";
}

/**
 * What a report cron does for the run scheduled at `scheduledTime` (epoch ms; a retried run has the
 * same), or undefined for another cron. Every period is derived from the scheduled time, never from
 * the clock, so the period is the run's idempotency key:
 * - daily (`0 2 * * *`): the report of the previous UTC day, stored once per day;
 * - weekly (`0 7 * * 1`): the report of the 7 days before that Monday (stored once), emailed under the
 *   subject `Weekly report <first day> to <last day>`, which no recipient gets twice.
 */
export async function runReportCron(deps: Deps, cron: string, scheduledTime: number) {
  const today = dayStart(scheduledTime);
  if (cron === DAILY_REPORT_CRON) {
    const day = iso(today - DAY_MS).slice(0, 10);
    const { report, created } = await generateReport(
      deps,
      { period_start: iso(today - DAY_MS), period_end: iso(today), name: `Daily report ${day}` },
      { source: "schedule", createdBy: null },
    );
    return { report_id: report.id, created };
  }
  if (cron === WEEKLY_DELIVERY_CRON) {
    const first = iso(today - 7 * DAY_MS).slice(0, 10);
    const last = iso(today - DAY_MS).slice(0, 10);
    const { report, created } = await generateReport(
      deps,
      { period_start: iso(today - 7 * DAY_MS), period_end: iso(today), name: `Weekly report ${first} to ${last}` },
      { source: "schedule", createdBy: null },
    );
    const subject = `Weekly report ${first} to ${last}`;
    const { recipients } = await sendReport(deps, { report_id: report.id, subject }, scheduledBase(deps));
    return { report_id: report.id, created, recipients };
  }
  return undefined;
}
