/** Standard base64, padded (`atob`/`btoa`'s alphabet). */
export function base64Encode(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The bytes of standard base64 (padding optional); throws on other characters. */
export function base64Decode(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
}

/** base64url without padding. */
export function base64urlEncode(bytes: Uint8Array): string {
  return base64Encode(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function base64urlDecode(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return base64Decode(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
}

/** Compares two byte arrays without an early exit. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** A random URL-safe token of `bytes` random bytes. */
export function randomToken(bytes = 32): string {
  return base64urlEncode(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** Hex SHA-256 of a string: how opaque tokens (magic links, integration keys) are stored. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Hex HMAC-SHA256 of `text` under `key`: how low-entropy values are stored when a digest must not be reversible offline. */
export async function hmacSha256Hex(key: string, text: string): Promise<string> {
  const k = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(text));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const derivedKeys = new Map<string, Promise<CryptoKey>>();

/**
 * A key derived from a secret (`PASSWORD_PEPPER`) for one purpose with HKDF-SHA256, built once per
 * isolate: how one secret yields separate keys (webhook sealing, unsubscribe links) that can't stand
 * in for each other.
 */
export function derivedKey(
  secret: string,
  derivation: { salt: string; info: string },
  algorithm: SubtleCryptoImportKeyAlgorithm,
  usages: string[],
): Promise<CryptoKey> {
  const cacheKey = JSON.stringify([secret, derivation, algorithm, usages]);
  let key = derivedKeys.get(cacheKey);
  if (!key) {
    const encoder = new TextEncoder();
    key = crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]).then((master) =>
      crypto.subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: encoder.encode(derivation.salt),
          info: encoder.encode(derivation.info),
        },
        master,
        algorithm,
        false,
        usages,
      ),
    );
    derivedKeys.set(cacheKey, key);
  }
  return key;
}
