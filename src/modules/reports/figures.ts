import { toUtcIso } from "../../lib/datetime";
import { invalid } from "../../lib/errors";
import type { Deps } from "../../middleware/deps";
import { type Period, readPeriodAggregates } from "./figures-repository";

export type { Period } from "./figures-repository";

const DAY_MS = 86_400_000;

/** The longest period a report covers. */
export const MAX_PERIOD_DAYS = 366;

/** A figure of the period, the same of the previous period, and the change. */
export interface Change {
  current: number;
  previous: number;
  /** `current - previous`. */
  change: number;
  /** The change in percent of `previous`, one decimal; null when `previous` is 0. */
  change_percent: number | null;
}

export const REGISTRATION_STATUSES = ["REGISTERED", "ATTENDED", "COMPLETED", "CANCELLED"] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];

/**
 * The figures of a report: what happened in `period` (`[start, end)`, ISO UTC), compared with the
 * period of equal length right before it (`previous_period`).
 * - `totals`: accounts (and active ones) created before the period's end; trainings (and published ones) now;
 * - `new_users`: accounts created in the period; `active_users`: distinct users who signed in (password or
 *   emailed link) in it;
 * - `registrations`: registrations made in the period, and `registrations_by_status` by their status now;
 * - `completions`: registrations whose `completion_date` falls in the period;
 * - `registrations_per_day`: every UTC day of the period, zeros included;
 * - `top_trainings`: the trainings with most registrations made in the period, with the seats taken now
 *   (registrations not cancelled) of the seats offered (`max_participants`, null: no limit);
 * - `module_progress`: enrollments and average score of the module progress started before the period's
 *   end, overall and per module (the most enrolled first), and of the progress updated in the period.
 */
export interface ReportFigures {
  period: Period;
  previous_period: Period;
  totals: { users: number; active_accounts: number; trainings: number; published_trainings: number };
  new_users: Change;
  active_users: Change;
  registrations: Change;
  registrations_by_status: Record<RegistrationStatus, Change>;
  completions: Change;
  registrations_per_day: { date: string; registrations: number }[];
  top_trainings: {
    training_id: number;
    title: string;
    registrations: number;
    seats_taken: number;
    seats_offered: number | null;
  }[];
  module_progress: {
    enrollments: number;
    average_score: number | null;
    updated_in_period: number;
    average_score_updated_in_period: number | null;
    modules: {
      module_id: number;
      title: string;
      enrollments: number;
      average_score: number | null;
      max_score: number;
    }[];
  };
}

/** `period` normalized to stored ISO UTC, or 422 `VALIDATION_ERROR`. */
export function checkedPeriod(period: { start: string; end: string }): Period {
  const start = toUtcIso(period.start);
  const end = toUtcIso(period.end);
  if (start === undefined || end === undefined) throw invalid(["body", "period_start"], "Not a date-time");
  const length = Date.parse(end) - Date.parse(start);
  if (length <= 0) throw invalid(["body", "period_end"], "period_end must be after period_start");
  if (length > MAX_PERIOD_DAYS * DAY_MS)
    throw invalid(["body", "period_end"], `A report covers at most ${MAX_PERIOD_DAYS} days`);
  return { start, end };
}

/** The period of equal length that ends where `period` starts. */
export function previousPeriod(period: Period): Period {
  const length = Date.parse(period.end) - Date.parse(period.start);
  return { start: new Date(Date.parse(period.start) - length).toISOString(), end: period.start };
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const score = (v: unknown): number | null => (v === null || v === undefined ? null : Math.round(Number(v) * 100) / 100);

/** A figure and its change from the previous period. */
export function changeOf(current: number, previous: number): Change {
  return {
    current,
    previous,
    change: current - previous,
    change_percent: previous === 0 ? null : Math.round(((current - previous) / previous) * 1000) / 10,
  };
}

/** The UTC days (`YYYY-MM-DD`) that `period` touches. */
function daysOf(period: Period): string[] {
  const days: string[] = [];
  const last = Date.parse(period.end) - 1;
  for (let t = Date.parse(period.start.slice(0, 10)); t <= last; t += DAY_MS)
    days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/**
 * The figures of `period` (see `ReportFigures`): one D1 round trip of aggregate queries, whatever the
 * data size. An invalid period (not after its start, longer than `MAX_PERIOD_DAYS`) is 422.
 *
 * @example
 *   const figures = await periodFigures(deps, { start: "2026-11-16T00:00:00Z", end: "2026-11-23T00:00:00Z" });
 *   figures.new_users.current; figures.new_users.change_percent
 */
export async function periodFigures(deps: Deps, period: { start: string; end: string }): Promise<ReportFigures> {
  const current = checkedPeriod(period);
  const previous = previousPeriod(current);
  const a = await readPeriodAggregates(deps.db, current, previous);
  const totals = a.userTotals[0];
  const pair = (row: { current: unknown; previous: unknown } | undefined) =>
    changeOf(num(row?.current), num(row?.previous));
  const byStatus = Object.fromEntries(
    REGISTRATION_STATUSES.map((s) => [s, pair(a.byStatus.find((r) => r.status === s))]),
  ) as Record<RegistrationStatus, Change>;
  const sum = (k: "current" | "previous") => a.byStatus.reduce((n, r) => n + num(r[k]), 0);
  const perDay = new Map(a.perDay.map((r) => [r.day, num(r.n)]));
  const progress = a.progress[0];
  return {
    period: current,
    previous_period: previous,
    totals: {
      users: num(totals?.users),
      active_accounts: num(totals?.active_accounts),
      trainings: num(totals?.trainings),
      published_trainings: num(totals?.published_trainings),
    },
    new_users: pair(a.newUsers[0]),
    active_users: pair(a.activeUsers[0]),
    registrations: changeOf(sum("current"), sum("previous")),
    registrations_by_status: byStatus,
    completions: pair(a.completions[0]),
    registrations_per_day: daysOf(current).map((date) => ({ date, registrations: perDay.get(date) ?? 0 })),
    top_trainings: a.top.map((t) => ({
      training_id: t.training_id,
      title: t.title,
      registrations: num(t.registrations),
      seats_taken: num(t.seats_taken),
      seats_offered: t.seats_offered,
    })),
    module_progress: {
      enrollments: num(progress?.enrollments),
      average_score: score(progress?.average_score),
      updated_in_period: num(progress?.updated_in_period),
      average_score_updated_in_period: score(progress?.average_score_updated_in_period),
      modules: a.progressByModule.map((m) => ({
        module_id: m.module_id,
        title: m.title,
        enrollments: num(m.enrollments),
        average_score: score(m.average_score),
        max_score: m.max_score,
      })),
    },
  };
}
