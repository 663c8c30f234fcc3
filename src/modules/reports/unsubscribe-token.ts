import { base64urlEncode, derivedKey, timingSafeEqual } from "../../lib/encoding";

/** What the token is for: part of the key derivation and of the signed message. */
const PURPOSE = "report-email-unsubscribe:v1";

/** The HMAC key of unsubscribe tokens: HKDF-SHA256 of `PASSWORD_PEPPER` for this purpose only. */
const keyOf = (pepper: string) =>
  derivedKey(pepper, { salt: "", info: PURPOSE }, { name: "HMAC", hash: "SHA-256", length: 256 }, ["sign"]);

async function mac(pepper: string, userId: number): Promise<Uint8Array> {
  const signature = await crypto.subtle.sign(
    "HMAC",
    await keyOf(pepper),
    new TextEncoder().encode(`${PURPOSE}:${userId}`),
  );
  return new Uint8Array(signature);
}

/**
 * The unsubscribe token of a user: `<user id>.<HMAC-SHA256 of the purpose and the id>`. It turns off
 * report emails of that user only; it does not expire (an unsubscribe link must keep working), and
 * changing `PASSWORD_PEPPER` (never done, see the README) would void every token.
 *
 * @example
 *   const link = `${base}/api/v1/unsubscribe?token=${await unsubscribeToken(deps.pepper, user.id)}`;
 */
export async function unsubscribeToken(pepper: string, userId: number): Promise<string> {
  return `${userId}.${base64urlEncode(await mac(pepper, userId))}`;
}

/** The user a token was signed for, or undefined when it is malformed or its signature is wrong. */
export async function userOfUnsubscribeToken(pepper: string, token: string): Promise<number | undefined> {
  const match = /^([1-9][0-9]{0,15})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return undefined;
  const userId = Number(match[1]);
  if (!Number.isSafeInteger(userId)) return undefined;
  // Compared as text: a signature whose unused last bits differ decodes to the same bytes, and must
  // not be a second valid form of the token.
  const expected = new TextEncoder().encode(base64urlEncode(await mac(pepper, userId)));
  return timingSafeEqual(new TextEncoder().encode(match[2] ?? ""), expected) ? userId : undefined;
}
