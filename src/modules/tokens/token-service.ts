import { API_PREFIX } from "../../app-info";
import type { ConstraintErrors, Statement } from "../../db/statement";
import { isoAt } from "../../lib/clock";
import { randomToken, sha256Hex } from "../../lib/encoding";
import type { Deps } from "../../middleware/deps";
import { TokenErrors } from "./errors";
import { tokenKey, tokenWasUsed, useTokenStatement } from "./token-repository";

/** The kinds of one-time token sent as a link in an email. */
export const LINK_KINDS = ["magic_link", "password_reset", "email_verification", "email_change"] as const;
export type LinkKind = (typeof LINK_KINDS)[number];
/**
 * The kinds of one-time token; each flow accepts only its own. `mfa` is the second step of a sign-in
 * with TOTP on (handed to the client, never emailed).
 */
export const TOKEN_KINDS = [...LINK_KINDS, "mfa"] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** The page each kind of link opens, under `/api/v1/auth`. */
const LINK_PAGES: Record<LinkKind, string> = {
  magic_link: "magic-link",
  password_reset: "password-reset",
  email_verification: "verify-email",
  email_change: "confirm-email",
};

/** The link of a token: `<PUBLIC_URL, else the request's origin>/api/v1/auth/<page>?token=...`. */
export function linkFor(deps: Deps, origin: string, kind: LinkKind, token: string): string {
  return `${deps.config.publicUrl ?? origin}${API_PREFIX}/auth/${LINK_PAGES[kind]}?token=${token}`;
}

/** KV refuses an `expirationTtl` below 60 seconds. */
export const KV_MIN_TTL_SECONDS = 60;

/** What `TOKENS_KV` holds for a token, under the token's hash. */
export interface TokenRecord {
  kind: TokenKind;
  /** The user it signs in or acts on (null: known only by `email`, e.g. a user inserted in the same batch). */
  userId: number | null;
  /** The address the token was sent to (or minted for): a token stops working when the user's email changes. */
  email: string;
  expiresAt: string;
  /** Where a magic link's form post redirects (a checked relative path). */
  next?: string | null;
  /** What issued it, for the audit trail (e.g. `integration key 3`). */
  issuedBy?: string | null;
  /** An email change's new address (the token is sent there; `email` is the address it replaces). */
  newEmail?: string | null;
  /**
   * An `mfa` token of a provider sign-in: what to record of the provider identity once the code
   * passes, and not before: a link (signed in by verified email) or a use (already linked).
   */
  identity?: IdentityUse | null;
}

/** A provider identity to link to the token's user, or the id of a linked one that signed in. */
export type IdentityUse = { link: { provider: string; providerUserId: string; email: string } } | { touch: number };

/** A new token: `token` goes into the link; `save()` stores its record once the caller's batch has committed. */
export interface PendingToken {
  token: string;
  hash: string;
  expiresAt: string;
  save(): Promise<void>;
}

/** 256 bits, base64url without padding. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Mints a one-time token: 256 random bits, of which only the SHA-256 hash is stored, in `TOKENS_KV`
 * with the token's lifetime as TTL (at least KV's minimum of 60 s; the expiry itself is checked
 * against `expiresAt`).
 *
 * @example
 *   const t = await newToken(deps, { kind: "magic_link", userId, email, next: null }, 900);
 *   await runBatch(...); await t.save();
 */
export async function newToken(
  deps: Deps,
  record: Omit<TokenRecord, "expiresAt">,
  ttlSeconds: number,
): Promise<PendingToken> {
  const token = randomToken(32);
  const hash = await sha256Hex(token);
  const expiresAt = isoAt(deps.clock.now() + ttlSeconds * 1000);
  const full: TokenRecord = { ...record, expiresAt };
  return {
    token,
    hash,
    expiresAt,
    save: () =>
      deps.tokens.put(tokenKey(hash), JSON.stringify(full), {
        expirationTtl: Math.max(KV_MIN_TTL_SECONDS, Math.ceil(ttlSeconds)),
      }),
  };
}

/** A token that passed every check but single use, which its use statement enforces. */
export interface ValidToken {
  hash: string;
  record: TokenRecord;
}

/**
 * Reads a token without using it up: 400 `LINK_TOKEN_MALFORMED`, 401 `LINK_TOKEN_INVALID` (unknown),
 * 401 `LINK_TOKEN_USED`, 400 `LINK_TOKEN_WRONG_KIND`, 401 `LINK_TOKEN_EXPIRED`.
 */
export async function readToken(deps: Deps, token: string, kind: TokenKind): Promise<ValidToken> {
  if (!TOKEN_PATTERN.test(token)) throw TokenErrors.LINK_TOKEN_MALFORMED();
  const hash = await sha256Hex(token);
  const record = await deps.tokens.get<TokenRecord>(tokenKey(hash), "json");
  if (!record)
    throw (await tokenWasUsed(deps.db, hash)) ? TokenErrors.LINK_TOKEN_USED() : TokenErrors.LINK_TOKEN_INVALID();
  if (record.kind !== kind) throw TokenErrors.LINK_TOKEN_WRONG_KIND(kind);
  if (Date.parse(record.expiresAt) <= deps.clock.now()) throw TokenErrors.LINK_TOKEN_EXPIRED();
  return { hash, record };
}

/**
 * The statement that uses the token up, for the batch of the change it authorizes, and the error
 * mapping of that batch: a second use fails the whole batch with 401 `LINK_TOKEN_USED`.
 */
export function useToken(
  deps: Deps,
  valid: ValidToken,
  userId: number | null,
  at: string,
): { statement: Statement; errors: ConstraintErrors; forget(): Promise<void> } {
  return {
    statement: useTokenStatement(deps.d1, { hash: valid.hash, kind: valid.record.kind, userId, at }),
    errors: { unique: () => TokenErrors.LINK_TOKEN_USED() },
    // Once used, the record is of no further use; its use stays in D1.
    forget: () => deps.tokens.delete(tokenKey(valid.hash)).catch(() => undefined),
  };
}

/**
 * The single use of a one-time value that is not a link token (an OAuth `state`), by its hash, for
 * the batch it authorizes: recorded in `token_uses` like a link token's, so of N concurrent uses one
 * wins; `isUse(constraint)` tells the batch's UNIQUE failure that is this use's.
 */
export function useOnce(
  deps: Deps,
  use: { hash: string; kind: string; userId: number | null; at: string },
): { statement: Statement; isUse(constraint: string): boolean } {
  return {
    statement: useTokenStatement(deps.d1, use),
    isUse: (constraint) => constraint.includes("token_uses"),
  };
}

/** True when the one-time value with this hash has been used (see `useOnce`). */
export const hashWasUsed = (deps: Deps, hash: string): Promise<boolean> => tokenWasUsed(deps.db, hash);
