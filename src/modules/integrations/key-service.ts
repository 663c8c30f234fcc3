import { runBatch, type Statement, theRow } from "../../db/statement";
import type { AuthContext } from "../../lib/access";
import { isoNow } from "../../lib/clock";
import { randomToken, sha256Hex, timingSafeEqual } from "../../lib/encoding";
import type { Deps } from "../../middleware/deps";
import { AccessErrors, assertMaySignInAs, userForChangeOf, userForChangeStatements } from "../access";
import { auditStatement } from "../audit";
import { linkFor, newToken } from "../tokens";
import { IntegrationErrors } from "./errors";
import {
  activeKeyQuery,
  insertKeyStatement,
  KEY_REVOKED,
  keyActiveGuard,
  listActiveKeys,
  revokeKeyStatement,
  touchKeyStatement,
} from "./key-repository";
import type { IntegrationKeyView } from "./schemas";

const KEY_PREFIX = "ik_";
/** How many characters of a key are kept to recognise it (`ik_` + 8). */
const SHOWN_PREFIX_LENGTH = KEY_PREFIX.length + 8;

/** `POST /integration-keys`: a new key, returned this once; only its hash is stored. */
export async function createKey(
  deps: Deps,
  auth: AuthContext,
  name: string,
): Promise<{ integration_key: IntegrationKeyView; key: string }> {
  const key = `${KEY_PREFIX}${randomToken(32)}`;
  const at = isoNow(deps.clock);
  const [rows] = await runBatch(deps.d1, [
    insertKeyStatement(deps.d1, {
      name,
      prefix: key.slice(0, SHOWN_PREFIX_LENGTH),
      hash: await sha256Hex(key),
      createdBy: auth.userId,
      at,
    }),
    auditStatement(deps.d1, {
      event: "integration_key_created",
      user: auth.userId,
      meta: deps.meta,
      detail: `key ${name.slice(0, 100)}`,
      at,
    }),
  ]);
  return { integration_key: theRow(rows, "integration key insert"), key };
}

export const listKeys = (deps: Deps) => listActiveKeys(deps.db);

/** `DELETE /integration-keys/{id}`: revoked at once (404 when unknown or already revoked). */
export async function revokeKey(deps: Deps, auth: AuthContext, id: number): Promise<void> {
  const at = isoNow(deps.clock);
  const [rows] = await runBatch(deps.d1, [
    revokeKeyStatement(deps.d1, id, at),
    auditStatement(
      deps.d1,
      { event: "integration_key_revoked", user: auth.userId, meta: deps.meta, detail: `key ${id}`, at },
      { sql: "EXISTS (SELECT 1 FROM integration_keys WHERE id = ?7 AND revoked_at = ?8)", params: [id, at] },
    ),
  ]);
  if (rows.length === 0) throw IntegrationErrors.INTEGRATION_KEY_NOT_FOUND(id);
}

/** Which key a request presented: a stored one (by id) or one of the `INTEGRATION_KEYS` secret. */
export interface KeySource {
  keyId: number | null;
  label: string;
}

/**
 * Checks `X-Integration-Key` (see `judgeKey()`): the presented key's hash, and the read of the stored
 * key it may be, for the caller's first batch; 401 `INTEGRATION_KEY_INVALID` at once when it is
 * missing or too long to be one.
 */
async function presentedKey(deps: Deps, presented: string | undefined) {
  if (!presented || presented.length > 200) throw IntegrationErrors.INTEGRATION_KEY_INVALID();
  const hash = await sha256Hex(presented);
  return { presented, hash, query: activeKeyQuery(deps.db, hash) };
}

/**
 * Which key was presented: an unrevoked stored key (found by its SHA-256 hash: `stored`, the rows of
 * `presentedKey()`'s query) or a key of the `INTEGRATION_KEYS` secret (digests compared in constant
 * time); 401 `INTEGRATION_KEY_INVALID` otherwise.
 */
async function judgeKey(
  deps: Deps,
  key: { presented: string; hash: string },
  stored: readonly { id: number }[],
): Promise<KeySource> {
  const id = key.presented.startsWith(KEY_PREFIX) ? stored[0]?.id : undefined;
  if (id !== undefined) return { keyId: id, label: `integration key ${id}` };
  const digest = hexBytes(key.hash);
  let match = -1;
  for (const [i, configured] of deps.config.integrationKeys.entries()) {
    if (timingSafeEqual(digest, hexBytes(await sha256Hex(configured))) && match < 0) match = i;
  }
  if (match >= 0) return { keyId: null, label: `INTEGRATION_KEYS secret key #${match + 1}` };
  throw IntegrationErrors.INTEGRATION_KEY_INVALID();
}

const hexBytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));

/**
 * `POST /users/{id}/login-link` (see the route): `presented` is the request's `X-Integration-Key`; a
 * magic link for an active user who holds no permission the caller lacks beyond every account's
 * baseline (`assertMaySignInAs`); the audit trail names the key that issued it. Two round trips: the
 * key and the user are read in one batch (the user's rows are looked at only once the key passed),
 * then the audit and the key's use are written in another.
 */
export async function createLoginLink(
  deps: Deps,
  auth: AuthContext,
  presented: string | undefined,
  userId: number,
  origin: string,
): Promise<{ login_link: string; expires_at: string }> {
  const key = await presentedKey(deps, presented);
  const [stored, rows, grants] = await deps.db.batch([key.query, ...userForChangeStatements(deps.db, userId)]);
  const source = await judgeKey(deps, key, stored);
  const target = userForChangeOf(rows, grants);
  if (!target?.row.isActive) throw AccessErrors.USER_NOT_FOUND(userId);
  if (userId !== auth.userId) assertMaySignInAs(auth, target.permissionKeys);
  const token = await newToken(
    deps,
    { kind: "magic_link", userId, email: target.row.email, next: null, issuedBy: source.label },
    deps.config.magicLinkTtl,
  );
  const at = isoNow(deps.clock);
  const statements: Statement[] = [
    auditStatement(deps.d1, {
      event: "login_link_issued",
      user: userId,
      meta: deps.meta,
      detail: `by user ${auth.userId} with ${source.label}`,
      at,
    }),
  ];
  // A key revoked since it was checked issues nothing: the batch is led by a guard on it.
  if (source.keyId !== null) {
    statements.unshift(keyActiveGuard(deps.d1, source.keyId));
    statements.push(touchKeyStatement(deps.d1, source.keyId, at));
  }
  await runBatch(deps.d1, statements, { guards: { [KEY_REVOKED]: () => IntegrationErrors.INTEGRATION_KEY_INVALID() } });
  await token.save();
  return { login_link: linkFor(deps, origin, "magic_link", token.token), expires_at: token.expiresAt };
}
