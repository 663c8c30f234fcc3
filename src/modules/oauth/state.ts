import { isoAt } from "../../lib/clock";
import { base64urlEncode, randomToken, sha256Hex, timingSafeEqual } from "../../lib/encoding";
import type { Deps } from "../../middleware/deps";
import { hashWasUsed, KV_MIN_TTL_SECONDS } from "../tokens";
import { OAuthErrors } from "./errors";
import type { ProviderName } from "./providers";

/** A sign-in must come back from the provider within 10 minutes. */
export const STATE_TTL_SECONDS = 10 * 60;

/** The cookie that binds a sign-in to the browser that started it: it holds the state's hash. */
export const STATE_COOKIE = "oauth_state";

/** What `TOKENS_KV` holds for a sign-in in progress, under its state's hash. */
export interface StateRecord {
  provider: ProviderName;
  /** The PKCE `code_verifier`. */
  codeVerifier: string;
  /** OpenID providers: the `nonce` the ID token must carry. */
  nonce: string | null;
  /** Where the browser goes once signed in (a checked path of this site). */
  next: string | null;
  expiresAt: string;
}

const stateKey = (hash: string) => `oauth_state:${hash}`;

/** 256 bits, base64url: the shape of a state, a verifier and a nonce. */
const STATE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A sign-in to start: the values for the authorization request, and `save()` to store its record. */
export interface NewState {
  state: string;
  /** SHA-256 of `state`, hex: the KV key and the browser cookie's value. */
  hash: string;
  codeChallenge: string;
  nonce: string | null;
  save(): Promise<void>;
}

/**
 * Mints a sign-in's state (random, stored only as its hash, for `STATE_TTL_SECONDS`), its PKCE
 * verifier and challenge (`S256`) and, for OpenID providers, its nonce.
 */
export async function newState(
  deps: Deps,
  provider: ProviderName,
  options: { openid: boolean; next: string | null },
): Promise<NewState> {
  const state = randomToken(32);
  const hash = await sha256Hex(state);
  const codeVerifier = randomToken(32);
  const challenge = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(codeVerifier)));
  const nonce = options.openid ? randomToken(32) : null;
  const record: StateRecord = {
    provider,
    codeVerifier,
    nonce,
    next: options.next,
    expiresAt: isoAt(deps.clock.now() + STATE_TTL_SECONDS * 1000),
  };
  return {
    state,
    hash,
    codeChallenge: base64urlEncode(challenge),
    nonce,
    save: () =>
      deps.tokens.put(stateKey(hash), JSON.stringify(record), {
        expirationTtl: Math.max(KV_MIN_TTL_SECONDS, STATE_TTL_SECONDS),
      }),
  };
}

const bytes = (hex: string) => new TextEncoder().encode(hex);

/**
 * Takes the state a provider sent back: it must be this browser's (the cookie), known, of this
 * provider and unexpired. The record is deleted at once, so the state is spent whatever follows; its
 * use is also recorded in the sign-in's batch (`useOnce`), which settles concurrent uses.
 */
export async function takeState(
  deps: Deps,
  provider: ProviderName,
  state: string | undefined,
  cookie: string | undefined,
): Promise<{ hash: string; record: StateRecord }> {
  if (!state || !STATE_PATTERN.test(state)) throw OAuthErrors.OAUTH_STATE_INVALID("the state is missing or malformed");
  const hash = await sha256Hex(state);
  if (!cookie || !timingSafeEqual(bytes(cookie), bytes(hash))) {
    throw OAuthErrors.OAUTH_STATE_INVALID("it was not started in this browser");
  }
  const record = await deps.tokens.get<StateRecord>(stateKey(hash), "json");
  if (!record) {
    throw (await hashWasUsed(deps, hash))
      ? OAuthErrors.OAUTH_STATE_USED()
      : OAuthErrors.OAUTH_STATE_INVALID("the state is unknown or has expired");
  }
  await deps.tokens.delete(stateKey(hash));
  if (record.provider !== provider) throw OAuthErrors.OAUTH_STATE_INVALID("it was started with another provider");
  if (Date.parse(record.expiresAt) <= deps.clock.now()) throw OAuthErrors.OAUTH_STATE_EXPIRED();
  return { hash, record };
}
