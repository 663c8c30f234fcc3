import { runOne } from "../../db/statement";
import { isoNow } from "../../lib/clock";
import type { Deps } from "../../middleware/deps";
import { auditStatement } from "./audit-repository";

/**
 * Records a refused request (403: a missing permission, a privilege escalation, a cross-site
 * change) with who made it, if known. Called by the app's error handler, so that every 403 of every
 * route is recorded in one place. A failure to record is logged, never turned into another answer.
 */
export async function recordForbidden(deps: Deps, userId: number | null, what: string): Promise<void> {
  try {
    await runOne(
      deps.d1,
      auditStatement(deps.d1, {
        event: "forbidden",
        user: userId,
        meta: deps.meta,
        detail: what.slice(0, 300),
        at: isoNow(deps.clock),
      }),
    );
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "could not record a refusal", error: String(err) }));
  }
}
