import type { AuthContext } from "../../lib/access";
import type { Deps } from "../../middleware/deps";
import { FIGURES_REFUSAL, maySeeFigures, type Refusal, type Retrieved } from "./retrieval";

/** Until the reports module is merged: the part of its `ReportFigures` that chat reads. */
export interface Change {
  current: number;
  previous: number;
  change: number;
  change_percent: number | null;
}
export interface ReportFigures {
  period: { start: string; end: string };
  previous_period: { start: string; end: string };
  totals: { users: number; active_accounts: number; trainings: number; published_trainings: number };
  new_users: Change;
  active_users: Change;
  registrations: Change;
  registrations_by_status: Record<"REGISTERED" | "ATTENDED" | "COMPLETED" | "CANCELLED", Change>;
  completions: Change;
}

/** The figures of the `days` before now and the same length before that (`reports:read` only). */
export async function figuresOfPeriod(
  _deps: Deps,
  auth: AuthContext,
  _days: number,
): Promise<Retrieved<ReportFigures> | Refusal> {
  if (!maySeeFigures(auth)) return FIGURES_REFUSAL;
  return { refused: "Platform figures are not available yet." };
}
