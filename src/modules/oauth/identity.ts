import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload, errors as joseErrors, jwtVerify } from "jose";
import * as z from "zod/mini";
import type { Deps } from "../../middleware/deps";
import { OAuthErrors } from "./errors";
import { errorCodeOf, providerJson, TimedCache } from "./provider-http";
import { GITHUB_API, PROVIDER_LABELS, type ProviderSetup } from "./providers";

/** Who the provider says signed in. */
export interface ProviderProfile {
  /** The provider's stable id of the person. */
  subject: string;
  email: string;
  /** The provider vouches that the person controls `email`. */
  emailVerified: boolean;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  /** A handle to derive a username from (GitHub login, `preferred_username`), if any. */
  handle: string | null;
}

/** What the callback brings back and the sign-in started with. */
export interface CodeGrant {
  code: string;
  codeVerifier: string;
  redirectUri: string;
  nonce: string | null;
}

const TokenAnswer = z.object({ access_token: z.string().check(z.minLength(1)), id_token: z.optional(z.string()) });

/** Exchanges the authorization code (with the PKCE verifier) at the token endpoint. */
async function exchangeCode(setup: ProviderSetup, grant: CodeGrant): Promise<z.infer<typeof TokenAnswer>> {
  const label = PROVIDER_LABELS[setup.name];
  const form = new URLSearchParams({
    grant_type: "authorization_code",
    code: grant.code,
    redirect_uri: grant.redirectUri,
    code_verifier: grant.codeVerifier,
  });
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    accept: "application/json",
  };
  const { clientId, clientSecret } = setup.client;
  if (setup.tokenAuth === "basic") {
    headers.authorization = `Basic ${btoa(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`)}`;
  } else {
    form.set("client_id", clientId);
    form.set("client_secret", clientSecret);
  }
  const body = await providerJson(label, "the code exchange", setup.tokenEndpoint, {
    method: "POST",
    headers,
    body: form.toString(),
  });
  // GitHub answers a refused code with 200 and an `error` field.
  const refused = errorCodeOf(body);
  if (refused) throw OAuthErrors.OAUTH_PROVIDER_ERROR(label, `the code exchange was refused (${refused})`);
  const parsed = TokenAnswer.safeParse(body);
  if (!parsed.success) throw OAuthErrors.OAUTH_PROVIDER_ERROR(label, "the code exchange answered no access token");
  return parsed.data;
}

/** Key sets are read again after an hour, or sooner when a token names a key they lack. */
const JWKS_TTL_MS = 60 * 60 * 1000;
/** An unknown key reloads the key set at most once a minute. */
const JWKS_RELOAD_AFTER_MS = 60 * 1000;
const jwksCache = new TimedCache<JSONWebKeySet>(JWKS_TTL_MS);

async function loadJwks(deps: Deps, setup: ProviderSetup, uri: string): Promise<JSONWebKeySet> {
  const body = await providerJson(PROVIDER_LABELS[setup.name], "the key set", uri, {
    headers: { accept: "application/json" },
  });
  if (!Array.isArray((body as { keys?: unknown }).keys)) {
    throw OAuthErrors.OAUTH_PROVIDER_ERROR(PROVIDER_LABELS[setup.name], "its key set is not valid");
  }
  jwksCache.set(uri, body as JSONWebKeySet, deps.clock);
  return body as JSONWebKeySet;
}

/** Allowed clock difference with the issuer when checking `exp`/`iat`/`nbf`. */
const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Verifies an ID token against the issuer's key set (fetched through the Worker's `fetch`, cached):
 * signature with an algorithm the issuer advertises, `iss`, `aud` (our client id, and `azp` when
 * there are several audiences), `exp` on the app's clock, and the `nonce` of this sign-in.
 */
async function verifyIdToken(deps: Deps, setup: ProviderSetup, idToken: string, nonce: string): Promise<JWTPayload> {
  const openid = setup.openid;
  const label = PROVIDER_LABELS[setup.name];
  if (!openid) throw new Error(`${setup.name} has no ID token`);
  const options = {
    issuer: openid.issuers,
    audience: setup.client.clientId,
    algorithms: openid.algorithms,
    currentDate: new Date(deps.clock.now()),
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ["sub", "exp", "iat"],
  };
  const cached = jwksCache.get(openid.jwksUri, deps.clock);
  let payload: JWTPayload;
  try {
    try {
      payload = (
        await jwtVerify(
          idToken,
          createLocalJWKSet(cached?.value ?? (await loadJwks(deps, setup, openid.jwksUri))),
          options,
        )
      ).payload;
    } catch (err) {
      // A key the cached set lacks: the issuer may have rotated; read the set again (rarely).
      if (!(err instanceof joseErrors.JWKSNoMatchingKey) || !cached || cached.ageMs < JWKS_RELOAD_AFTER_MS) throw err;
      payload = (await jwtVerify(idToken, createLocalJWKSet(await loadJwks(deps, setup, openid.jwksUri)), options))
        .payload;
    }
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) throw OAuthErrors.OAUTH_ID_TOKEN_INVALID(label, reasonOf(err));
    throw err;
  }
  if (payload.nonce !== nonce) throw OAuthErrors.OAUTH_ID_TOKEN_INVALID(label, "its nonce is not this sign-in's");
  const aud = payload.aud;
  if (Array.isArray(aud) && aud.length > 1 && payload.azp !== setup.client.clientId) {
    throw OAuthErrors.OAUTH_ID_TOKEN_INVALID(label, "it was issued to another client");
  }
  return payload;
}

/** A short reason for a refused ID token, from jose's error. */
function reasonOf(err: InstanceType<typeof joseErrors.JOSEError>): string {
  if (err instanceof joseErrors.JWTExpired) return "it has expired";
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `its '${err.claim}' claim is not valid`;
  if (err instanceof joseErrors.JWKSNoMatchingKey) return "it is signed by a key the issuer does not publish";
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return "its signature does not verify";
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return "it is signed with an algorithm the issuer does not use";
  return "it is malformed";
}

const text = (v: unknown, max: number): string | null =>
  typeof v === "string" && v.trim() !== "" ? v.trim().slice(0, max) : null;

/** A usable email address, lower-cased: never cut to fit (that would be another address). */
function emailOf(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const email = value.trim().toLowerCase();
  return email.length <= 254 && z.email().safeParse(email).success ? email : null;
}

/** The profile in a verified ID token; an ID token without an email is refused. */
function profileOfIdToken(setup: ProviderSetup, claims: JWTPayload): ProviderProfile {
  const label = PROVIDER_LABELS[setup.name];
  const email = emailOf(claims.email);
  if (!email) throw OAuthErrors.OAUTH_EMAIL_UNAVAILABLE(label);
  const subject = String(claims.sub);
  if (subject.length > 255) throw OAuthErrors.OAUTH_ID_TOKEN_INVALID(label, "its 'sub' claim is too long");
  return {
    subject,
    email,
    emailVerified: claims.email_verified === true || claims.email_verified === "true",
    name: text(claims.name, 200),
    givenName: text(claims.given_name, 100),
    familyName: text(claims.family_name, 100),
    handle: text(claims.preferred_username, 100),
  };
}

const GitHubUser = z.object({ id: z.int(), login: z.string(), name: z.nullish(z.string()) });
const GitHubEmails = z.array(z.object({ email: z.string(), primary: z.boolean(), verified: z.boolean() }));

/** GitHub's user and its emails: only the primary email, and only when GitHub has verified it. */
async function githubProfile(accessToken: string): Promise<ProviderProfile> {
  const headers = {
    accept: "application/vnd.github+json",
    authorization: `Bearer ${accessToken}`,
    "user-agent": "identity-training-api",
    "x-github-api-version": "2022-11-28",
  };
  const [user, emails] = await Promise.all([
    providerJson("GitHub", "the user API", `${GITHUB_API}/user`, { headers }),
    providerJson("GitHub", "the emails API", `${GITHUB_API}/user/emails`, { headers }),
  ]);
  const u = GitHubUser.safeParse(user);
  const list = GitHubEmails.safeParse(emails);
  if (!u.success || !list.success)
    throw OAuthErrors.OAUTH_PROVIDER_ERROR("GitHub", "its user API answered an unknown shape");
  const primary = list.data.find((e) => e.primary && e.verified);
  const email = emailOf(primary?.email);
  if (!email) throw OAuthErrors.OAUTH_EMAIL_UNAVAILABLE("GitHub");
  const name = text(u.data.name, 200);
  return {
    subject: String(u.data.id),
    email,
    emailVerified: true,
    name,
    givenName: null,
    familyName: null,
    handle: text(u.data.login, 100),
  };
}

/**
 * The identity behind an authorization code: exchanged within a timeout, then read from the verified
 * ID token (OpenID providers) or GitHub's user and emails APIs.
 */
export async function identityOf(deps: Deps, setup: ProviderSetup, grant: CodeGrant): Promise<ProviderProfile> {
  const tokens = await exchangeCode(setup, grant);
  if (!setup.openid) return githubProfile(tokens.access_token);
  if (!tokens.id_token || grant.nonce === null) {
    throw OAuthErrors.OAUTH_PROVIDER_ERROR(PROVIDER_LABELS[setup.name], "the code exchange answered no ID token");
  }
  return profileOfIdToken(setup, await verifyIdToken(deps, setup, tokens.id_token, grant.nonce));
}
