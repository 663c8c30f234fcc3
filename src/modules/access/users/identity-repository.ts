import { type UserRef, userRefSql } from "../../../db/sql";
import { type Statement, statement } from "../../../db/statement";

/** Links a provider identity to a user (by id, or by username when inserted in the same batch). */
export function linkIdentityStatement(
  d1: D1Database,
  link: { provider: string; providerUserId: string; user: UserRef; email: string; at: string },
): Statement {
  const ref = userRefSql(link.user, 1);
  return statement(
    d1,
    `INSERT INTO oauth_identities (user_id, provider, provider_user_id, email, created_at, last_used_at)
     VALUES (${ref.sql}, ?2, ?3, ?4, ?5, ?5)`,
    ref.value,
    link.provider,
    link.providerUserId,
    link.email,
    link.at,
  );
}

/** Records a sign-in with a linked identity. */
export function touchIdentityStatement(d1: D1Database, identityId: number, at: string): Statement {
  return statement(d1, "UPDATE oauth_identities SET last_used_at = ?2 WHERE id = ?1", identityId, at);
}
