import type { AuthContext } from "../../lib/access";
import { isoAt } from "../../lib/clock";
import type { Deps } from "../../middleware/deps";
import { latestReports, periodFigures, type ReportFigures } from "../reports";
import { FIGURES_REFUSAL, maySeeFigures, type Refusal, type Retrieved } from "./retrieval";

export type { Change, ReportFigures } from "../reports";

const DAY_MS = 86_400_000;
const day = (iso: string) => iso.slice(0, 10);

/**
 * The platform's figures (those of the reports, computed by the reports module) of the `days` up to
 * now, with the period of equal length before it: holders of `reports:read` only.
 */
export async function figuresOfPeriod(
  deps: Deps,
  auth: AuthContext,
  days: number,
): Promise<Retrieved<ReportFigures> | Refusal> {
  if (!maySeeFigures(auth)) return FIGURES_REFUSAL;
  const now = deps.clock.now();
  const figures = await periodFigures(deps, { start: isoAt(now - days * DAY_MS), end: isoAt(now) });
  const { period, previous_period: before } = figures;
  return {
    source: `platform figures of ${day(period.start)} to ${day(period.end)} and of ${day(before.start)} to ${day(before.end)} (as in reports)`,
    data: figures,
  };
}

/** The figures of the newest stored report: holders of `reports:read` only. */
export async function latestReportFigures(
  deps: Deps,
  auth: AuthContext,
): Promise<Retrieved<{ name: string; created_at: string; figures: ReportFigures }> | Refusal> {
  if (!maySeeFigures(auth)) return FIGURES_REFUSAL;
  const [report] = await latestReports(deps, 1);
  if (!report) return { refused: "No report has been generated yet." };
  return {
    source: `report "${report.name}" (${day(report.period.start)} to ${day(report.period.end)})`,
    data: { name: report.name, created_at: report.created_at, figures: report.figures },
  };
}
