import { base64urlDecode, base64urlEncode } from "../../lib/encoding";

const SECRET_PREFIX = "whsec_";
const SEALED_PREFIX = "v1.";
const encoder = new TextEncoder();

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));

/** A new signing secret: `whsec_` and the base64 of 32 random bytes (Standard Webhooks' form). */
export function newSigningSecret(): string {
  return `${SECRET_PREFIX}${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}

async function deriveSealingKey(pepper: string): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey("raw", encoder.encode(pepper), "HKDF", false, ["deriveKey"]);
  const params = { name: "HKDF", hash: "SHA-256", salt: encoder.encode("webhook-secrets"), info: encoder.encode("v1") };
  return crypto.subtle.deriveKey(params, base, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

/** The AES-GCM key that seals secrets at rest, derived (HKDF-SHA256) from `PASSWORD_PEPPER`, once per pepper. */
const sealingKeys = new Map<string, Promise<CryptoKey>>();
function sealingKey(pepper: string): Promise<CryptoKey> {
  let key = sealingKeys.get(pepper);
  if (!key) {
    key = deriveSealingKey(pepper);
    sealingKeys.set(pepper, key);
  }
  return key;
}

/** A secret as stored: `v1.<iv>.<ciphertext>` (base64url), AES-GCM under the pepper-derived key. */
export async function sealSecret(pepper: string, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await sealingKey(pepper), encoder.encode(secret));
  return `${SEALED_PREFIX}${base64urlEncode(iv)}.${base64urlEncode(new Uint8Array(sealed))}`;
}

/** The secret of a stored `sealSecret()` value (throws when it was sealed under another pepper or altered). */
export async function openSecret(pepper: string, stored: string): Promise<string> {
  const [iv = "", data = ""] = stored.slice(SEALED_PREFIX.length).split(".");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: base64urlDecode(iv) },
    await sealingKey(pepper),
    base64urlDecode(data),
  );
  return new TextDecoder().decode(plain);
}

/**
 * The Standard Webhooks signature of a message: `v1,` and the base64 HMAC-SHA256, keyed with the
 * secret's bytes, of `<id>.<timestamp>.<body>`.
 */
export async function signature(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    fromBase64(secret.slice(SECRET_PREFIX.length)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${id}.${timestamp}.${body}`));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}
