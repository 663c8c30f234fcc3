import { base64urlDecode, base64urlEncode } from "./encoding";

/**
 * Small secrets kept encrypted at rest (TOTP seeds, webhook signing secrets): AES-256-GCM under a
 * 32-byte key given as base64url (or a key derived with `derivedKey`), a fresh 96-bit IV per value,
 * and `context` bound as additional data so a ciphertext copied to another row (another user) does
 * not decrypt (an empty context is the same as none). Stored as `v1.<iv>.<ciphertext>`; the version
 * leaves room to rotate the key later.
 */
const VERSION = "v1";

const keys = new Map<string, Promise<CryptoKey>>();

function keyOf(secret: string | CryptoKey): Promise<CryptoKey> {
  if (typeof secret !== "string") return Promise.resolve(secret);
  let key = keys.get(secret);
  if (!key) {
    const raw = base64urlDecode(secret.trim());
    if (raw.length !== 32) throw new Error("the encryption key must be 32 bytes, base64url");
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keys.set(secret, key);
  }
  return key;
}

/** True when `secret` is a usable key (32 bytes, base64url). */
export function isSecretBoxKey(secret: string | undefined): secret is string {
  try {
    return !!secret && base64urlDecode(secret.trim()).length === 32;
  } catch {
    return false;
  }
}

export async function seal(secret: string | CryptoKey, plaintext: Uint8Array, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(context) },
      await keyOf(secret),
      plaintext,
    ),
  );
  return `${VERSION}.${base64urlEncode(iv)}.${base64urlEncode(data)}`;
}

/** Decrypts what `seal` made for the same `context`; throws when the key, context or bytes differ. */
export async function open(secret: string | CryptoKey, sealed: string, context: string): Promise<Uint8Array> {
  const [version, iv, data] = sealed.split(".");
  if (version !== VERSION || !iv || !data) throw new Error("unknown sealed format");
  return new Uint8Array(
    await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: base64urlDecode(iv), additionalData: new TextEncoder().encode(context) },
      await keyOf(secret),
      base64urlDecode(data),
    ),
  );
}
