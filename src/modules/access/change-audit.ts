import type { Statement } from "../../db/statement";
import type { AuthContext } from "../../lib/access";
import { isoNow } from "../../lib/clock";
import type { Deps } from "../../middleware/deps";
import { auditStatement } from "../audit";

/**
 * The audit record of an access-control change (roles, permissions) made by the caller, for the
 * batch that makes it. `onlyIfChanged`: recorded only when the statement just before it in the batch
 * changed a row (a conditional delete or update that may match nothing).
 */
export function changeAudit(
  deps: Deps,
  auth: AuthContext,
  event: string,
  detail: string,
  onlyIfChanged = false,
): Statement {
  return auditStatement(
    deps.d1,
    { event, user: auth.userId, meta: deps.meta, detail, at: isoNow(deps.clock) },
    onlyIfChanged ? { sql: "changes() > 0", params: [] } : undefined,
  );
}
