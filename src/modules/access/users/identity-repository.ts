import { type UserRef, userRefSql } from "../../../db/sql";
import { guardStatement, type Statement, statement } from "../../../db/statement";

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

/** The guard mark of `linkIdentityToStatements()`: the identity is linked to another user. */
export const IDENTITY_LINKED_ELSEWHERE = "IDENTITY_LINKED_ELSEWHERE";

/**
 * Links a provider identity to user `userId` unless it already is (a second pending sign-in with the
 * same identity that completes later), and fails its batch (mark `IDENTITY_LINKED_ELSEWHERE`) when
 * it is linked to another user meanwhile.
 */
export function linkIdentityToStatements(
  d1: D1Database,
  link: { provider: string; providerUserId: string; userId: number; email: string; at: string },
): Statement[] {
  return [
    statement(
      d1,
      `INSERT INTO oauth_identities (user_id, provider, provider_user_id, email, created_at, last_used_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?5)
       ON CONFLICT (provider, provider_user_id) DO UPDATE SET last_used_at = excluded.last_used_at
       WHERE oauth_identities.user_id = excluded.user_id`,
      link.userId,
      link.provider,
      link.providerUserId,
      link.email,
      link.at,
    ),
    guardStatement(
      d1,
      IDENTITY_LINKED_ELSEWHERE,
      "EXISTS (SELECT 1 FROM oauth_identities WHERE provider = ?1 AND provider_user_id = ?2 AND user_id <> ?3)",
      link.provider,
      link.providerUserId,
      link.userId,
    ),
  ];
}
