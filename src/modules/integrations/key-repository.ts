import { and, asc, eq, isNull } from "drizzle-orm";
import type { Db } from "../../db/client";
import { integrationKeys } from "../../db/schema";
import { guardStatement, type Statement, statement } from "../../db/statement";
import type { IntegrationKeyView } from "./schemas";

const RETURNING = "id, name, prefix, created_at, last_used_at";

/** Stores a new key by its hash; returns its view. */
export function insertKeyStatement(
  d1: D1Database,
  k: { name: string; prefix: string; hash: string; createdBy: number; at: string },
): Statement<IntegrationKeyView> {
  return statement(
    d1,
    `INSERT INTO integration_keys (name, prefix, key_hash, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING ${RETURNING}`,
    k.name,
    k.prefix,
    k.hash,
    k.createdBy,
    k.at,
  );
}

/** The keys that are not revoked, oldest first (never their hashes). */
export async function listActiveKeys(db: Db): Promise<IntegrationKeyView[]> {
  return db
    .select({
      id: integrationKeys.id,
      name: integrationKeys.name,
      prefix: integrationKeys.prefix,
      created_at: integrationKeys.createdAt,
      last_used_at: integrationKeys.lastUsedAt,
    })
    .from(integrationKeys)
    .where(isNull(integrationKeys.revokedAt))
    .orderBy(asc(integrationKeys.id));
}

/** The unrevoked key with this hash (its `id`), as a query for the caller's `db.batch()`. */
export function activeKeyQuery(db: Db, hash: string) {
  return db
    .select({ id: integrationKeys.id })
    .from(integrationKeys)
    .where(and(eq(integrationKeys.keyHash, hash), isNull(integrationKeys.revokedAt)))
    .limit(1);
}

/** Revokes a key (no row when it doesn't exist or was revoked already). */
export function revokeKeyStatement(d1: D1Database, id: number, at: string): Statement<{ id: number }> {
  return statement(
    d1,
    "UPDATE integration_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL RETURNING id",
    id,
    at,
  );
}

/** The guard mark of `keyActiveGuard()`. */
export const KEY_REVOKED = "KEY_REVOKED";

/** Fails its batch (mark `KEY_REVOKED`) unless key `id` still exists unrevoked (revoked since it was checked). */
export function keyActiveGuard(d1: D1Database, id: number): Statement {
  return guardStatement(
    d1,
    KEY_REVOKED,
    "NOT EXISTS (SELECT 1 FROM integration_keys WHERE id = ?1 AND revoked_at IS NULL)",
    id,
  );
}

/** Records a use of a key. */
export function touchKeyStatement(d1: D1Database, id: number, at: string): Statement {
  return statement(d1, "UPDATE integration_keys SET last_used_at = ?2 WHERE id = ?1", id, at);
}
