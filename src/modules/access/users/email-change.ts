import type { Statement } from "../../../db/statement";
import type { Deps } from "../../../middleware/deps";
import { queueEmail } from "../../email";
import { linkFor, newToken } from "../../tokens";
import { AccessErrors } from "../errors";
import type { UserViewRow } from "./user-repository";

/** How long the link that confirms a new address works. */
export const EMAIL_CHANGE_TTL_SECONDS = 24 * 3600;

/**
 * A user's request to change its own email to `newEmail`: nothing changes until the new address
 * confirms it. Statements for the caller's batch store two emails: the link to the new address (an
 * `email_change` token for the current address, carrying the new one) and a notice, without a link,
 * to the current address. `after()` saves the token and sends both once the batch has committed.
 * A new address that another account already uses (`holder`, the user who had it when the write's
 * reads ran: see `emailHolderQuery()`) is a 409 at once.
 */
export async function requestEmailChange(
  deps: Deps,
  origin: string,
  row: UserViewRow,
  newEmail: string,
  holder: number | undefined,
): Promise<{ statements: Statement[]; after(): Promise<void> }> {
  if (holder !== undefined && holder !== row.id) throw AccessErrors.EMAIL_TAKEN(newEmail);
  const token = await newToken(
    deps,
    { kind: "email_change", userId: row.id, email: row.email, newEmail, next: null },
    EMAIL_CHANGE_TTL_SECONDS,
  );
  const validMinutes = EMAIL_CHANGE_TTL_SECONDS / 60;
  const confirm = queueEmail(deps, {
    kind: "email_change",
    to: newEmail,
    user: row.id,
    name: row.username,
    link: linkFor(deps, origin, "email_change", token.token),
    validMinutes,
    secret: token.token,
  });
  const notice = queueEmail(deps, {
    kind: "email_change_notice",
    to: row.email,
    user: row.id,
    name: row.username,
    link: "",
    validMinutes,
    secret: null,
    newEmail,
  });
  return {
    statements: [...confirm.statements, ...notice.statements],
    async after() {
      await token.save();
      await Promise.all([confirm.enqueue(), notice.enqueue()]);
    },
  };
}
