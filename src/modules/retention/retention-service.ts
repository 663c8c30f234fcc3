import { runBatch } from "../../db/statement";
import { isoAt } from "../../lib/clock";
import type { Deps } from "../../middleware/deps";
import { PURGES, purgeStatement } from "./retention-repository";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Deletes what is past its retention (see `PURGES` and the README's Configuration), in one batch;
 * returns the rows deleted per table. Running it again deletes nothing more.
 */
export async function purgeExpired(deps: Deps): Promise<Record<string, number>> {
  const now = deps.clock.now();
  const cutoffs = {
    audit: isoAt(now - deps.config.auditRetentionDays * DAY_MS),
    session: isoAt(now - deps.config.sessionRetentionDays * DAY_MS),
    event: isoAt(now - deps.config.eventRetentionDays * DAY_MS),
    attempt: now - HOUR_MS,
  };
  const results = await runBatch(
    deps.d1,
    PURGES.map((rule) => purgeStatement(deps.d1, rule, cutoffs[rule.keep])),
  );
  return Object.fromEntries(PURGES.map((rule, i) => [rule.table, results[i]?.length ?? 0]));
}
