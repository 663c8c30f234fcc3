import type { Change, ReportFigures } from "./figures";

/** `+3 (+25.0%)`, `-2 (-50.0%)`, `+4 (new)`, `0`. */
export function changeText(c: Change): string {
  if (c.change === 0) return "no change";
  const sign = c.change > 0 ? "+" : "";
  const percent = c.change_percent === null ? "no previous figure" : `${sign}${c.change_percent}%`;
  return `${sign}${c.change} (${percent})`;
}

const line = (label: string, c: Change) => `${label}: ${c.current} (previous period ${c.previous}, ${changeText(c)})`;

const seats = (t: ReportFigures["top_trainings"][number]) =>
  t.seats_offered === null
    ? `${t.seats_taken} seats taken, no limit`
    : `${t.seats_taken} of ${t.seats_offered} seats taken`;

/** The report as plain text: what `content` stores and the report email's text part carries. */
export function reportText(name: string, f: ReportFigures): string {
  const byStatus = Object.entries(f.registrations_by_status)
    .map(([status, c]) => `  ${status}: ${c.current} (previous ${c.previous})`)
    .join("\n");
  const top = f.top_trainings.length
    ? f.top_trainings.map((t, i) => `  ${i + 1}. ${t.title}: ${t.registrations} registrations, ${seats(t)}`).join("\n")
    : "  none: no registrations in the period";
  const progress = f.module_progress;
  const modules = progress.modules.length
    ? progress.modules
        .map(
          (m) => `  ${m.title}: ${m.enrollments} enrolled, average score ${m.average_score ?? "-"} of ${m.max_score}`,
        )
        .join("\n")
    : "  none";
  return [
    name,
    `Period: ${f.period.start} to ${f.period.end} (compared with ${f.previous_period.start} to ${f.previous_period.end})`,
    "",
    `Users: ${f.totals.users} accounts, ${f.totals.active_accounts} active`,
    line("New users", f.new_users),
    line("Active users (signed in)", f.active_users),
    line("Registrations", f.registrations),
    byStatus,
    line("Completions", f.completions),
    "",
    "Most popular trainings:",
    top,
    "",
    `Module progress: ${progress.enrollments} enrollments, average score ${progress.average_score ?? "-"}; ${progress.updated_in_period} updated in the period (average ${progress.average_score_updated_in_period ?? "-"})`,
    modules,
  ].join("\n");
}

/** A CSV field: quoted when it holds a comma, quote or line break; a leading `=+-@` is neutralized (CSV injection). */
function field(value: string | number | null): string {
  if (value === null) return "";
  let s = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The report as CSV (RFC 4180, CRLF): one row per figure, `section,metric,current,previous,change,change_percent`.
 * Per-day, training and module rows put their figures in `current`.
 */
export function reportCsv(f: ReportFigures): string {
  const rows: (string | number | null)[][] = [["section", "metric", "current", "previous", "change", "change_percent"]];
  const change = (section: string, metric: string, c: Change) =>
    rows.push([section, metric, c.current, c.previous, c.change, c.change_percent]);
  rows.push(["period", "start", f.period.start, f.previous_period.start, null, null]);
  rows.push(["period", "end", f.period.end, f.previous_period.end, null, null]);
  for (const [k, v] of Object.entries(f.totals)) rows.push(["totals", k, v, null, null, null]);
  change("users", "new_users", f.new_users);
  change("users", "active_users", f.active_users);
  change("registrations", "total", f.registrations);
  for (const [status, c] of Object.entries(f.registrations_by_status)) change("registrations", status, c);
  change("registrations", "completions", f.completions);
  for (const d of f.registrations_per_day)
    rows.push(["registrations_per_day", d.date, d.registrations, null, null, null]);
  for (const t of f.top_trainings) {
    rows.push(["top_trainings", `${t.title} registrations`, t.registrations, null, null, null]);
    rows.push(["top_trainings", `${t.title} seats_taken`, t.seats_taken, null, null, null]);
    rows.push(["top_trainings", `${t.title} seats_offered`, t.seats_offered, null, null, null]);
  }
  const p = f.module_progress;
  rows.push(["module_progress", "enrollments", p.enrollments, null, null, null]);
  rows.push(["module_progress", "average_score", p.average_score, null, null, null]);
  rows.push(["module_progress", "updated_in_period", p.updated_in_period, null, null, null]);
  rows.push([
    "module_progress",
    "average_score_updated_in_period",
    p.average_score_updated_in_period,
    null,
    null,
    null,
  ]);
  for (const m of p.modules) {
    rows.push(["module_progress", `${m.title} enrollments`, m.enrollments, null, null, null]);
    rows.push(["module_progress", `${m.title} average_score`, m.average_score, null, null, null]);
  }
  return `${rows.map((r) => r.map(field).join(",")).join("\r\n")}\r\n`;
}
