import { commonPasswords } from "./common-passwords";
import { base64urlDecode, base64urlEncode, timingSafeEqual } from "./encoding";
import { HttpErrors, invalid } from "./errors";

/** PBKDF2 iterations: the most the Workers runtime allows in production. */
export const PBKDF2_ITERATIONS = 100_000;
/** Hashes claiming more iterations are refused before any hashing (they would fail in production). */
export const PBKDF2_MAX_ITERATIONS = 100_000;
export const PASSWORD_MIN_LENGTH = 8;
/** Checked before hashing, so a huge password can't buy CPU time. No silent truncation below it. */
export const PASSWORD_MAX_LENGTH = 256;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const SCHEME = "pbkdf2-sha256";

/**
 * Stored format: `pbkdf2-sha256$<iterations>$<salt b64url>$<hash b64url>`. The input to PBKDF2 is
 * HMAC-SHA256(pepper, password), so a leaked table is useless without the `PASSWORD_PEPPER` secret.
 *
 * @example
 *   const stored = await hashPassword("correct horse battery", pepper)
 *   await verifyPassword("correct horse battery", stored, pepper) // { ok: true, needsRehash: false }
 */
export async function hashPassword(password: string, pepper: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  assertLength(password);
  if (iterations > PBKDF2_MAX_ITERATIONS) throw new Error(`PBKDF2 iterations above ${PBKDF2_MAX_ITERATIONS}`);
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, pepper, salt, iterations);
  return `${SCHEME}$${iterations}$${base64urlEncode(salt)}$${base64urlEncode(hash)}`;
}

export interface VerifyResult {
  ok: boolean;
  /** True when the stored hash uses weaker parameters than today's: rehash it after a good login. */
  needsRehash: boolean;
}

/** Verifies a password against a stored hash in constant time; malformed or over-cap hashes never verify. */
export async function verifyPassword(password: string, stored: string, pepper: string): Promise<VerifyResult> {
  if (password.length > PASSWORD_MAX_LENGTH) return { ok: false, needsRehash: false };
  const parsed = parseStored(stored);
  if (!parsed) return { ok: false, needsRehash: false };
  const hash = await derive(password, pepper, parsed.salt, parsed.iterations);
  const ok = timingSafeEqual(hash, parsed.hash);
  return { ok, needsRehash: ok && parsed.iterations < PBKDF2_ITERATIONS };
}

/** A syntactically valid hash that matches no password: verified against for unknown users, to equalize timing. */
export const DUMMY_HASH = `${SCHEME}$${PBKDF2_ITERATIONS}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;

/** Iterations a stored hash declares, or null when it is not in our format. */
export function parseStored(stored: string): { iterations: number; salt: Uint8Array; hash: Uint8Array } | null {
  const parts = stored.split("$");
  if (parts.length !== 4 || parts[0] !== SCHEME) return null;
  const iterations = Number(parts[1]);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > PBKDF2_MAX_ITERATIONS) return null;
  try {
    const salt = base64urlDecode(parts[2] ?? "");
    const hash = base64urlDecode(parts[3] ?? "");
    if (salt.length < 8 || hash.length !== HASH_BYTES) return null;
    return { iterations, salt, hash };
  } catch {
    return null;
  }
}

/**
 * Password policy for new passwords: length bounds, the common-password set (`commonPasswords`, read
 * from the static assets `assets`, i.e. `deps.assets`), and the context rule: not the account's own
 * username or email, nor the email's local part (`context`), alone or followed by a few digits or
 * symbols. Throws a 422 located at `field`; 503 `PASSWORD_POLICY_UNAVAILABLE` when the set can't be
 * loaded (never an unchecked password).
 */
export async function assertAcceptablePassword(
  assets: Fetcher | undefined,
  password: string,
  field = "password",
  ...context: (string | null | undefined)[]
): Promise<void> {
  assertLength(password, field);
  const common = await commonPasswords(assets);
  if (common.includes(password) || isContextWord(password, context)) {
    throw invalid(["body", field], COMMON_MESSAGE, "value_error.common_password");
  }
}

const COMMON_MESSAGE = "This password is too common; choose a less guessable one";

/**
 * Why `password` fails the policy of `assertAcceptablePassword`, or undefined when it passes; throws
 * 503 `PASSWORD_POLICY_UNAVAILABLE` as it does.
 */
export async function passwordProblem(
  assets: Fetcher | undefined,
  password: string,
  ...context: (string | null | undefined)[]
): Promise<string | undefined> {
  if (password.length < PASSWORD_MIN_LENGTH) return `Password must have at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `Password must have at most ${PASSWORD_MAX_LENGTH} characters`;
  const common = await commonPasswords(assets);
  if (common.includes(password) || isContextWord(password, context)) return COMMON_MESSAGE;
  return undefined;
}

/** True when `password` is one of the account's own names (`context`: username, email), case-insensitively, alone or followed by up to 6 digits or symbols. */
function isContextWord(password: string, context: readonly (string | null | undefined)[]): boolean {
  const words = new Set<string>();
  for (const value of context) {
    const word = value?.trim().toLowerCase();
    if (!word) continue;
    words.add(word);
    const at = word.lastIndexOf("@");
    if (at > 0) words.add(word.slice(0, at));
  }
  const lower = password.toLowerCase();
  for (const word of words) {
    if (lower.startsWith(word) && /^[^\p{L}]{0,6}$/u.test(lower.slice(word.length))) return true;
  }
  return false;
}

function assertLength(password: string, field = "password"): void {
  if (password.length < PASSWORD_MIN_LENGTH) {
    throw invalid(["body", field], `Password must have at least ${PASSWORD_MIN_LENGTH} characters`, "too_small");
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    throw invalid(["body", field], `Password must have at most ${PASSWORD_MAX_LENGTH} characters`, "too_big");
  }
}

async function derive(password: string, pepper: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  if (!pepper) throw HttpErrors.INTERNAL_ERROR("PASSWORD_PEPPER is not configured");
  const enc = new TextEncoder();
  const hmacKey = await crypto.subtle.importKey("raw", enc.encode(pepper), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const peppered = await crypto.subtle.sign("HMAC", hmacKey, enc.encode(password));
  const key = await crypto.subtle.importKey("raw", peppered, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations },
    key,
    HASH_BYTES * 8,
  );
  return new Uint8Array(bits);
}
