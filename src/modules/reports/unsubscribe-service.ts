import { runOne } from "../../db/statement";
import { isoNow } from "../../lib/clock";
import type { Deps } from "../../middleware/deps";
import { unsubscribeStatement } from "./delivery-repository";
import { ReportErrors } from "./errors";
import { userOfUnsubscribeToken } from "./unsubscribe-token";

/** The user an unsubscribe token was signed for, or 400 `UNSUBSCRIBE_TOKEN_INVALID`. */
export async function checkUnsubscribeToken(deps: Deps, token: string): Promise<number> {
  const userId = await userOfUnsubscribeToken(deps.pepper, token);
  if (userId === undefined) throw ReportErrors.UNSUBSCRIBE_TOKEN_INVALID();
  return userId;
}

/**
 * Turns report emails off for the token's user, without signing in (RFC 8058 one-click); doing it
 * again changes nothing. Rules: `POST /unsubscribe` in `routes.ts`.
 */
export async function unsubscribe(deps: Deps, token: string): Promise<void> {
  const userId = await checkUnsubscribeToken(deps, token);
  const rows = await runOne(deps.d1, unsubscribeStatement(deps.d1, userId, isoNow(deps.clock)));
  if (rows.length === 0) throw ReportErrors.UNSUBSCRIBE_TOKEN_INVALID();
}
