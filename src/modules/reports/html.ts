import { messagePage, type Page, page } from "../auth";
import { escapeHtml as e, PRODUCT_NAME } from "../email";
import { changeText } from "./content";
import type { Change, ReportFigures } from "./figures";
import type { StoredReport } from "./report-service";

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; background: #f4f5f7; color: #1a1a1a; }
main { max-width: 56rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.5rem; margin: 0 0 0.25rem; } h2 { font-size: 1.15rem; margin: 1.5rem 0 0.5rem; }
.period { color: #4a4a4a; margin: 0 0 1rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: 0.75rem; }
.card { background: #fff; border-radius: 0.5rem; padding: 0.75rem 1rem; box-shadow: 0 1px 3px rgb(0 0 0 / 0.1); }
.card .label { font-size: 0.85rem; color: #4a4a4a; } .card .value { font-size: 1.6rem; font-weight: 700; }
.up { color: #15803d; } .down { color: #b91c1c; } .same { color: #4a4a4a; }
figure { margin: 0; background: #fff; border-radius: 0.5rem; padding: 1rem; box-shadow: 0 1px 3px rgb(0 0 0 / 0.1); }
figcaption { font-weight: 600; margin-bottom: 0.5rem; }
svg { width: 100%; height: auto; display: block; }
table { width: 100%; border-collapse: collapse; background: #fff; border-radius: 0.5rem; overflow: hidden; }
th, td { text-align: left; padding: 0.4rem 0.75rem; border-bottom: 1px solid #e5e7eb; } td.n, th.n { text-align: right; }
.empty { color: #4a4a4a; font-style: italic; }
footer { text-align: center; font-size: 0.85rem; color: #4a4a4a; margin: 2rem 0 1rem; }
`;

const fmt = (n: number) => n.toLocaleString("en-US");

function card(label: string, c: Change): string {
  const cls = c.change > 0 ? "up" : c.change < 0 ? "down" : "same";
  return `<div class="card"><div class="label">${e(label)}</div><div class="value">${fmt(c.current)}</div>
<div class="${cls}">${e(changeText(c))}</div><div class="label">previous period: ${fmt(c.previous)}</div></div>`;
}

/** Registrations per day as an SVG bar chart with a labelled axis. */
export function perDayChart(days: ReportFigures["registrations_per_day"]): string {
  const width = 720;
  const height = 240;
  const left = 40;
  const bottom = 40;
  const plotW = width - left - 10;
  const plotH = height - bottom - 10;
  const max = Math.max(1, ...days.map((d) => d.registrations));
  const step = plotW / Math.max(1, days.length);
  const barW = Math.max(1, step * 0.7);
  const labelEvery = Math.max(1, Math.ceil(days.length / 10));
  const bars = days
    .map((d, i) => {
      const h = (d.registrations / max) * plotH;
      const x = left + i * step + (step - barW) / 2;
      const y = 10 + plotH - h;
      const label =
        i % labelEvery === 0
          ? `<text x="${(x + barW / 2).toFixed(1)}" y="${height - bottom + 16}" font-size="11" text-anchor="middle" fill="#374151">${e(d.date.slice(5))}</text>`
          : "";
      return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="#1d4ed8"><title>${e(d.date)}: ${d.registrations}</title></rect>${label}`;
    })
    .join("");
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="Registrations per day, at most ${max}" xmlns="http://www.w3.org/2000/svg">
<line x1="${left}" y1="${10 + plotH}" x2="${width - 10}" y2="${10 + plotH}" stroke="#9ca3af"/>
<text x="${left - 6}" y="16" font-size="11" text-anchor="end" fill="#374151">${max}</text>
<text x="${left - 6}" y="${10 + plotH}" font-size="11" text-anchor="end" fill="#374151">0</text>
${bars}
</svg>`;
}

/** The top trainings as horizontal SVG bars: registrations in the period, and seats taken of seats offered. */
export function topTrainingsChart(top: ReportFigures["top_trainings"]): string {
  if (top.length === 0) return `<p class="empty">No registrations in this period.</p>`;
  const width = 720;
  const row = 44;
  const height = top.length * row + 10;
  const labelW = 220;
  const barMax = width - labelW - 80;
  const max = Math.max(1, ...top.map((t) => t.registrations));
  const rows = top
    .map((t, i) => {
      const y = 5 + i * row;
      const w = (t.registrations / max) * barMax;
      const title = t.title.length > 32 ? `${t.title.slice(0, 31)}…` : t.title;
      const seats =
        t.seats_offered === null ? `${t.seats_taken} seats taken` : `${t.seats_taken}/${t.seats_offered} seats`;
      return `<text x="0" y="${y + 16}" font-size="13" fill="#111827">${e(title)}</text>
<text x="0" y="${y + 32}" font-size="11" fill="#4b5563">${e(seats)}</text>
<rect x="${labelW}" y="${y + 6}" width="${Math.max(1, w).toFixed(1)}" height="22" fill="#059669"><title>${e(t.title)}: ${t.registrations} registrations</title></rect>
<text x="${(labelW + w + 6).toFixed(1)}" y="${y + 22}" font-size="12" fill="#111827">${t.registrations}</text>`;
    })
    .join("\n");
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="Most popular trainings by registrations" xmlns="http://www.w3.org/2000/svg">
${rows}
</svg>`;
}

/**
 * The report as a page (`GET /reports/{id}/html`): figures as cards, the two charts as inline SVG,
 * tables of statuses and modules. No script and no external asset; the one inline style is allowed
 * by a nonce.
 */
export function reportPage(report: StoredReport): Page {
  const f = report.figures;
  const statuses = Object.entries(f.registrations_by_status)
    .map(
      ([s, c]) => `<tr><td>${e(s)}</td><td class="n">${fmt(c.current)}</td><td class="n">${fmt(c.previous)}</td></tr>`,
    )
    .join("");
  const modules = f.module_progress.modules.length
    ? `<table><thead><tr><th>Module</th><th class="n">Enrolled</th><th class="n">Average score</th></tr></thead><tbody>${f.module_progress.modules
        .map(
          (m) =>
            `<tr><td>${e(m.title)}</td><td class="n">${fmt(m.enrollments)}</td><td class="n">${m.average_score ?? "–"} / ${m.max_score}</td></tr>`,
        )
        .join("")}</tbody></table>`
    : `<p class="empty">No module progress yet.</p>`;
  return page(
    report.name,
    `<p class="period">${e(f.period.start)} to ${e(f.period.end)}, compared with the ${e(f.previous_period.start.slice(0, 10))} to ${e(f.previous_period.end.slice(0, 10))} period · ${fmt(f.totals.users)} accounts, ${fmt(f.totals.active_accounts)} active</p>
<div class="cards">
${card("New users", f.new_users)}
${card("Active users", f.active_users)}
${card("Registrations", f.registrations)}
${card("Completions", f.completions)}
</div>
<h2>Registrations per day</h2>
<figure><figcaption>Registrations made each day (UTC)</figcaption>${perDayChart(f.registrations_per_day)}</figure>
<h2>Most popular trainings</h2>
<figure><figcaption>Registrations in the period; seats taken of seats offered</figcaption>${topTrainingsChart(f.top_trainings)}</figure>
<h2>Registrations by status</h2>
<table><thead><tr><th>Status</th><th class="n">This period</th><th class="n">Previous</th></tr></thead><tbody>${statuses}</tbody></table>
<h2>Module progress</h2>
<p>${fmt(f.module_progress.enrollments)} enrollments, average score ${f.module_progress.average_score ?? "–"}; ${fmt(f.module_progress.updated_in_period)} updated in the period.</p>
${modules}`,
    { style: STYLE, footer: `${PRODUCT_NAME} · report ${report.id}, generated ${report.created_at}`, forms: false },
  );
}

/** The unsubscribe pages (this site's small page, see `auth`): a button that posts the token (GET), and the outcome. */
export function unsubscribePage(title: string, message: string, form?: { action: string; token: string }): Page {
  if (!form) return messagePage(title, message);
  return page(
    title,
    `<p>${e(message)}</p>
<form method="post" action="${e(form.action)}"><input type="hidden" name="token" value="${e(form.token)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
  );
}
