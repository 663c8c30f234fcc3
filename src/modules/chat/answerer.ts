import type { AuthContext } from "../../lib/access";
import type { Deps } from "../../middleware/deps";
import { type Change, figuresOfPeriod, latestReportFigures } from "./figures";
import {
  type CatalogItem,
  FIGURES_REFUSAL,
  isRefusal,
  maySeeFigures,
  ownProgress,
  ownRegistrations,
  progressOfUsername,
  type Refusal,
  type Retrieved,
  trainingCatalog,
} from "./retrieval";

/** What a question asks, as the built-in answerer understands it (English only). */
export type Intent =
  | { kind: "count"; what: "users" | "trainings" | "registrations"; days: number }
  | { kind: "trend"; days: number }
  | { kind: "latest-report" }
  | { kind: "popular" }
  | { kind: "seats" }
  | { kind: "my-progress" }
  | { kind: "user-progress"; username: string }
  | { kind: "my-registrations" }
  | { kind: "help" };

/** The length in days of the period a question names (default: the last 7 days, as reports). */
function periodDays(q: string): number {
  if (/\b(today|day|24 hours)\b/.test(q)) return 1;
  if (/\bquarter\b/.test(q)) return 90;
  if (/\byear\b/.test(q)) return 365;
  if (/\bmonth\b/.test(q)) return 30;
  return 7;
}

const NOT_A_NAME = new Set(["my", "me", "i", "the", "a", "user", "users", "everyone", "all", "our", "their"]);

/**
 * The intent of `question`: keyword rules, checked from the most specific (someone's progress) to
 * the most general (counts); anything else is `help`.
 */
export function detectIntent(question: string, self: string): Intent {
  const q = question.toLowerCase().replace(/[?!.]+$/g, "");
  const someone =
    /\bprogress (?:of|for) (?:user )?@?([\w.+-]+)/.exec(q)?.[1] ??
    /\b@?([\w.+-]+)'s (?:module )?progress\b/.exec(q)?.[1];
  if (someone && !NOT_A_NAME.has(someone)) {
    return someone === self.toLowerCase() ? { kind: "my-progress" } : { kind: "user-progress", username: someone };
  }
  const iAm = /\b(i|i'm|am i|me)\b/.test(q);
  if (/\bmy (progress|scores?|modules?)\b|\bhow am i doing\b/.test(q) || (iAm && /\b(progress|scores?)\b/.test(q))) {
    return { kind: "my-progress" };
  }
  if (
    /\bmy (registrations?|trainings?|courses?|enrol+ments?|bookings?)\b/.test(q) ||
    (iAm && /\b(registered|signed up|enrol+ed|booked)\b/.test(q))
  ) {
    return { kind: "my-registrations" };
  }
  if (/\b(latest|last|newest|recent) report\b/.test(q)) return { kind: "latest-report" };
  const days = periodDays(q);
  if (/\b(trends?|compared?|comparison|change[sd]?|growth|grow|versus|vs|previous|evolution)\b/.test(q)) {
    return { kind: "trend", days };
  }
  if (/\b(popular|most (?:registered|booked|attended|wanted)|top trainings?|busiest)\b/.test(q)) {
    return { kind: "popular" };
  }
  if (/\b(seats?|places?|spots?|availab\w*|full|room left)\b/.test(q)) return { kind: "seats" };
  if (/\b(how many|number of|count|total)\b/.test(q)) {
    if (/\b(registrations?|enrol+ments?|sign-?ups?)\b/.test(q)) return { kind: "count", what: "registrations", days };
    if (/\b(trainings?|courses?)\b/.test(q)) return { kind: "count", what: "trainings", days };
    if (/\b(users?|people|accounts?|employees?|members?)\b/.test(q)) return { kind: "count", what: "users", days };
  }
  return { kind: "help" };
}

/** A built-in answer: its text (without the sources line) and what it used. */
export interface Answer {
  text: string;
  /** What the answer used, each with its data: what a model is given to phrase it. */
  retrieved: Retrieved<unknown>[];
}

const pct = (ratio: number) => `${Math.round(ratio * 100)}%`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const periodName = (days: number) => (days === 1 ? "the last 24 hours" : `the last ${days} days`);

/** "12 (up 3, +33.3%, from 9)". */
function changeText(c: Change): string {
  if (c.change === 0) return `${c.current} (unchanged from the period before)`;
  const direction = c.change > 0 ? "up" : "down";
  const percent = c.change_percent === null ? "" : `, ${c.change > 0 ? "+" : ""}${c.change_percent}%`;
  return `${c.current} (${direction} ${Math.abs(c.change)}${percent}, from ${c.previous})`;
}

const seatsText = (t: CatalogItem) =>
  t.seats_free === null
    ? "no seat limit"
    : `${t.seats_free} of ${t.max_participants} ${t.max_participants === 1 ? "seat" : "seats"} free`;

const refused = (r: Refusal): Answer => ({ text: r.refused, retrieved: [] });

/** What the caller can ask, listed in the help answer. */
export function capabilities(auth: AuthContext): string[] {
  const list = [
    "free seats in the training catalog (“which trainings have free seats?”)",
    "the most popular trainings",
    "how many trainings there are",
    "your registrations (“what am I registered for?”)",
    "your progress (“what is my progress?”)",
  ];
  if (maySeeFigures(auth)) {
    list.push(
      "how many users or registrations there are (“how many users signed up this month?”)",
      "trends between periods (“what are the registration trends this month?”)",
      "the latest report",
    );
  }
  if (auth.permissions.has("progress:read")) list.push("a user's progress (“what is the progress of alice?”)");
  return list;
}

/** Answers `intent` from the data the caller may see. */
export async function answerBuiltIn(deps: Deps, auth: AuthContext, intent: Intent): Promise<Answer> {
  switch (intent.kind) {
    case "help":
      return {
        text: `I answer questions about the platform's own data. You can ask me about: ${capabilities(auth).join("; ")}.`,
        retrieved: [],
      };
    case "seats": {
      const catalog = await trainingCatalog(deps, auth);
      if (isRefusal(catalog)) return refused(catalog);
      const open = catalog.data.trainings.filter((t) => t.seats_free === null || t.seats_free > 0);
      const text =
        open.length === 0
          ? "No published training has a free seat right now."
          : `${plural(open.length, "published training")} ${open.length === 1 ? "has" : "have"} free seats: ${open
              .map((t) => `${t.title} (${seatsText(t)})`)
              .join("; ")}.`;
      return { text, retrieved: [catalog] };
    }
    case "popular": {
      const catalog = await trainingCatalog(deps, auth);
      if (isRefusal(catalog)) return refused(catalog);
      const top = [...catalog.data.trainings]
        .filter((t) => t.seats_taken > 0)
        .sort((a, b) => b.seats_taken - a.seats_taken || a.id - b.id)
        .slice(0, 5);
      const text =
        top.length === 0
          ? "No published training has registrations yet."
          : `The most popular trainings by active registrations: ${top
              .map((t, i) => `${i + 1}. ${t.title}: ${plural(t.seats_taken, "registration")} (${seatsText(t)})`)
              .join("; ")}.`;
      return { text, retrieved: [catalog] };
    }
    case "my-progress": {
      const progress = await ownProgress(deps, auth);
      const modules = progress.data.modules;
      if (modules.length === 0) return { text: "You are not enrolled in any module yet.", retrieved: [progress] };
      const average = modules.reduce((s, m) => s + m.progress, 0) / modules.length;
      const text = `You are enrolled in ${plural(modules.length, "module")}, ${pct(average)} complete on average: ${modules
        .map((m) => `${m.module_name} ${m.score}/${m.max_score} (${pct(m.progress)})`)
        .join("; ")}.`;
      return { text, retrieved: [progress] };
    }
    case "user-progress": {
      const progress = await progressOfUsername(deps, auth, intent.username);
      if (isRefusal(progress)) return refused(progress);
      const { username, modules } = progress.data;
      const text =
        modules.length === 0
          ? `${username} is not enrolled in any module.`
          : `${username} is enrolled in ${plural(modules.length, "module")}: ${modules
              .map((m) => `${m.module_name} ${m.score}/${m.max_score} (${pct(m.progress)})`)
              .join("; ")}.`;
      return { text, retrieved: [progress] };
    }
    case "my-registrations": {
      const own = await ownRegistrations(deps, auth);
      const { registrations, total } = own.data;
      const text =
        total === 0
          ? "You have no registrations."
          : `You have ${plural(total, "registration")}: ${registrations.map((r) => `${r.title} (${r.status})`).join("; ")}.`;
      return { text, retrieved: [own] };
    }
    case "count":
      return answerCount(deps, auth, intent.what, intent.days);
    case "latest-report": {
      const report = await latestReportFigures(deps, auth);
      if (isRefusal(report)) return refused(report);
      const { name, figures: f } = report.data;
      const text = `The latest report, ${name} (${f.period.start.slice(0, 10)} to ${f.period.end.slice(0, 10)}): ${plural(f.new_users.current, "new user")}, ${plural(f.active_users.current, "active user")}, ${plural(f.registrations.current, "registration")}, ${plural(f.completions.current, "completion")}.`;
      return { text, retrieved: [report] };
    }
    case "trend": {
      const figures = await figuresOfPeriod(deps, auth, intent.days);
      if (isRefusal(figures)) return refused(figures);
      const f = figures.data;
      const text = `In ${periodName(intent.days)}, compared with the ${intent.days === 1 ? "day" : `${intent.days} days`} before: registrations ${changeText(f.registrations)}; completions ${changeText(f.completions)}; new users ${changeText(f.new_users)}; active users ${changeText(f.active_users)}.`;
      return { text, retrieved: [figures] };
    }
  }
}

async function answerCount(
  deps: Deps,
  auth: AuthContext,
  what: "users" | "trainings" | "registrations",
  days: number,
): Promise<Answer> {
  if (what === "trainings") {
    const catalog = await trainingCatalog(deps, auth);
    if (isRefusal(catalog)) return refused(catalog);
    return {
      text: `There ${catalog.data.total === 1 ? "is" : "are"} ${plural(catalog.data.total, "published training")}.`,
      retrieved: [catalog],
    };
  }
  if (!maySeeFigures(auth)) {
    if (what === "users") return refused(FIGURES_REFUSAL);
    // An employee counts its own registrations: the platform's are report figures.
    const own = await ownRegistrations(deps, auth);
    return {
      text: `You have ${plural(own.data.total, "registration")}. Platform-wide figures are those of the reports, for holders of \`reports:read\`.`,
      retrieved: [own],
    };
  }
  const figures = await figuresOfPeriod(deps, auth, days);
  if (isRefusal(figures)) return refused(figures);
  const f = figures.data;
  if (what === "users") {
    return {
      text: `There are ${plural(f.totals.users, "user")} (${f.totals.active_accounts} active accounts); ${f.new_users.current} joined and ${f.active_users.current} signed in during ${periodName(days)}.`,
      retrieved: [figures],
    };
  }
  const byStatus = Object.entries(f.registrations_by_status)
    .filter(([, c]) => c.current > 0)
    .map(([status, c]) => `${c.current} ${status}`);
  return {
    text: `${plural(f.registrations.current, "registration was", "registrations were")} made in ${periodName(days)}${byStatus.length ? ` (now ${byStatus.join(", ")})` : ""}; ${f.completions.current} completed.`,
    retrieved: [figures],
  };
}
