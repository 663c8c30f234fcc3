import {
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
} from "jose";
import { randomToken } from "./encoding";
import { AppError, HttpErrors } from "./errors";

/** Signing algorithm, pinned on verification (no `alg: none`, no HS/RS confusion). */
export const JWT_ALG = "ES256";
/** The issuer (and default audience) when `PUBLIC_URL` is not set: local development only. */
export const DEFAULT_JWT_ISSUER = "identity-training-api";

/** Who issues the tokens (`iss`, from `PUBLIC_URL`) and for whom (`aud`, `JWT_AUDIENCE`). */
export interface TokenIdentity {
  issuer: string;
  audience: string;
}

/** Seconds of clock difference allowed on `exp` and `nbf`. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** Token types, carried in the `typ` header and the `token_use` claim; one is never accepted as another. */
export type TokenType = "access" | "refresh";
const TYP: Record<TokenType, string> = { access: "at+jwt", refresh: "rt+jwt" };

export interface TokenClaims extends JWTPayload {
  sub: string;
  sid: string;
  jti: string;
  token_use: TokenType;
  /** Access tokens: the caller's authorization when issued (see `AuthzClaim` in `lib/access.ts`). */
  az?: unknown;
}

export interface KeyRing extends TokenIdentity {
  kid: string;
  privateKey: CryptoKey;
  jwks: JSONWebKeySet;
  /** The public key a token's header names by `kid` (imported once); throws for any other. */
  verifyKey(header: JWTHeaderParameters): CryptoKey;
  /** The access tokens this ring has verified, with their claims (see `verifyToken`). */
  verified: VerifiedTokens;
}

/** How many verified access tokens an isolate remembers, per key ring (each about 1 KiB). */
export const VERIFIED_TOKENS_MAX = 2000;

/**
 * Access tokens whose signature, header, issuer, audience and claims were verified, by their text,
 * with their claims (deeply frozen). A client sends its access token with every request for the
 * token's lifetime, and the ES256 verification is the largest CPU cost of an authenticated request;
 * a token seen again is only checked for what depends on the time (`exp`, `nbf`). Only a token that
 * passed the full verification is remembered, so nothing enters without the signing key; whether its
 * session is still open is read from D1 on every request as before (`authenticate()`). The oldest
 * entry makes room when `VERIFIED_TOKENS_MAX` is reached; a new ring (a rotated key) starts empty.
 */
class VerifiedTokens {
  readonly #claims = new Map<string, TokenClaims>();

  get(token: string): TokenClaims | undefined {
    return this.#claims.get(token);
  }

  remember(token: string, claims: TokenClaims): void {
    if (this.#claims.size >= VERIFIED_TOKENS_MAX) {
      const oldest = this.#claims.keys().next().value;
      if (oldest !== undefined) this.#claims.delete(oldest);
    }
    this.#claims.set(token, deepFreeze(claims));
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * The ring built for each identity (`config.jwt`, one object per environment), with the key strings
 * it was built from: every request of an isolate reuses it without building a cache key.
 */
const rings = new WeakMap<
  TokenIdentity,
  { privateJwk: string | undefined; previousPublicJwk: string | undefined; ring: Promise<KeyRing> }
>();

/**
 * The signing key from `JWT_PRIVATE_KEY` (an EC P-256 private JWK with a `kid`) and the public keys
 * to verify with: the current one and `JWT_PREVIOUS_PUBLIC_KEY` during a rotation; tokens carry and
 * must carry `identity`'s issuer and audience.
 */
export function keyRing(
  privateJwk: string | undefined,
  previousPublicJwk: string | undefined,
  identity: TokenIdentity,
): Promise<KeyRing> {
  const known = rings.get(identity);
  if (known && known.privateJwk === privateJwk && known.previousPublicJwk === previousPublicJwk) return known.ring;
  const ring = buildRing(privateJwk, previousPublicJwk, identity);
  rings.set(identity, { privateJwk, previousPublicJwk, ring });
  // A ring that failed to build (a bad key) is built again next time, not remembered.
  ring.catch(() => {
    if (rings.get(identity)?.ring === ring) rings.delete(identity);
  });
  return ring;
}

async function buildRing(
  privateJwk: string | undefined,
  previousPublicJwk: string | undefined,
  identity: TokenIdentity,
): Promise<KeyRing> {
  if (!privateJwk) throw HttpErrors.INTERNAL_ERROR("JWT_PRIVATE_KEY is not configured");
  const priv = JSON.parse(privateJwk) as JWK;
  if (!priv.kid || priv.kty !== "EC" || priv.crv !== "P-256" || !priv.d) {
    throw HttpErrors.INTERNAL_ERROR("JWT_PRIVATE_KEY must be an EC P-256 private JWK with a kid");
  }
  const privateKey = (await importJWK({ ...priv, alg: JWT_ALG }, JWT_ALG)) as CryptoKey;
  const keys: JWK[] = [publicPart(priv)];
  if (previousPublicJwk) {
    const prev = JSON.parse(previousPublicJwk) as JWK;
    if (prev.kid && prev.kid !== priv.kid) keys.push(publicPart(prev));
  }
  const jwks = { keys };
  const publicKeys = new Map<string, CryptoKey>();
  for (const jwk of keys) publicKeys.set(jwk.kid as string, (await importJWK(jwk, JWT_ALG)) as CryptoKey);
  const verifyKey = (header: JWTHeaderParameters): CryptoKey => {
    const key = header.kid === undefined ? undefined : publicKeys.get(header.kid);
    if (!key) throw HttpErrors.INVALID_TOKEN();
    return key;
  };
  return { ...identity, kid: priv.kid, privateKey, jwks, verifyKey, verified: new VerifiedTokens() };
}

function publicPart(jwk: JWK): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: jwk.kid, alg: JWT_ALG, use: "sig" };
}

/** Signs a token of `type` for `sub`/`sid`, valid for `ttlSeconds` from `now` (epoch seconds). */
export async function signToken(
  ring: KeyRing,
  type: TokenType,
  claims: { sub: string; sid: string; jti?: string; az?: unknown },
  ttlSeconds: number,
  now: number,
): Promise<{ token: string; jti: string; exp: number }> {
  const jti = claims.jti ?? randomToken(16);
  const exp = now + ttlSeconds;
  const extra = claims.az === undefined ? {} : { az: claims.az };
  const token = await new SignJWT({ sid: claims.sid, token_use: type, ...extra })
    .setProtectedHeader({ alg: JWT_ALG, kid: ring.kid, typ: TYP[type] })
    .setSubject(claims.sub)
    .setJti(jti)
    .setIssuer(ring.issuer)
    .setAudience(ring.audience)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(exp)
    .sign(ring.privateKey);
  return { token, jti, exp };
}

/**
 * Verifies signature (ES256 only, known `kid`), `iss`, `aud`, `exp`, `nbf` and the token type
 * at `nowMs` (the request's clock). Throws a 401 (`TOKEN_EXPIRED` or `INVALID_TOKEN`) otherwise.
 * An access token this ring verified before is only checked again for `exp` and `nbf` (see
 * `VerifiedTokens`).
 */
export async function verifyToken(ring: KeyRing, token: string, type: TokenType, nowMs: number): Promise<TokenClaims> {
  const known = type === "access" ? ring.verified.get(token) : undefined;
  if (known) {
    // jose's time checks, with the same tolerance: the rest of the token was verified before.
    const now = Math.floor(nowMs / 1000);
    if (known.exp === undefined || known.exp <= now - CLOCK_TOLERANCE_SECONDS) throw HttpErrors.TOKEN_EXPIRED();
    if (known.nbf === undefined || known.nbf > now + CLOCK_TOLERANCE_SECONDS) throw HttpErrors.INVALID_TOKEN();
    return known;
  }
  try {
    const { payload, protectedHeader } = await jwtVerify(token, ring.verifyKey, {
      algorithms: [JWT_ALG],
      issuer: ring.issuer,
      audience: ring.audience,
      typ: TYP[type],
      requiredClaims: ["sub", "jti", "exp", "iat", "nbf"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(nowMs),
    });
    if (
      protectedHeader.typ !== TYP[type] ||
      payload.token_use !== type ||
      typeof payload.sid !== "string" ||
      typeof payload.sub !== "string"
    ) {
      throw HttpErrors.INVALID_TOKEN();
    }
    if (type === "access") ring.verified.remember(token, payload as TokenClaims);
    return payload as TokenClaims;
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw HttpErrors.TOKEN_EXPIRED();
    throw HttpErrors.INVALID_TOKEN();
  }
}
