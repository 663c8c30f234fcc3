import { base64Decode, base64Encode, derivedKey } from "../../lib/encoding";
import { open, seal } from "../../lib/secret-box";

const SECRET_PREFIX = "whsec_";
const encoder = new TextEncoder();

/** A new signing secret: `whsec_` and the base64 of 32 random bytes (Standard Webhooks' form). */
export function newSigningSecret(): string {
  return `${SECRET_PREFIX}${base64Encode(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** The AES-GCM key that seals secrets at rest, derived (HKDF-SHA256) from `PASSWORD_PEPPER` for this use only. */
const sealingKey = (pepper: string) =>
  derivedKey(pepper, { salt: "webhook-secrets", info: "v1" }, { name: "AES-GCM", length: 256 }, ["encrypt", "decrypt"]);

/** A secret as stored: `v1.<iv>.<ciphertext>` (`lib/secret-box`), AES-GCM under the pepper-derived key. */
export async function sealSecret(pepper: string, secret: string): Promise<string> {
  return seal(await sealingKey(pepper), encoder.encode(secret), "");
}

/** The secret of a stored `sealSecret()` value (throws when it was sealed under another pepper or altered). */
export async function openSecret(pepper: string, stored: string): Promise<string> {
  return new TextDecoder().decode(await open(await sealingKey(pepper), stored, ""));
}

/**
 * The Standard Webhooks signature of a message: `v1,` and the base64 HMAC-SHA256, keyed with the
 * secret's bytes, of `<id>.<timestamp>.<body>`.
 */
export async function signature(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    base64Decode(secret.slice(SECRET_PREFIX.length)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${id}.${timestamp}.${body}`));
  return `v1,${base64Encode(new Uint8Array(mac))}`;
}
