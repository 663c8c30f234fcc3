import * as z from "zod/mini";
import type { OAuthClient } from "../../lib/config";
import type { Deps } from "../../middleware/deps";
import { OAuthErrors } from "./errors";
import { isAllowedEndpoint, providerJson, TimedCache } from "./provider-http";

/** The providers this API knows; each is on only when configured (`deps.config.oauth`). */
export const PROVIDER_NAMES = ["google", "github", "oidc"] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** How the providers are shown (`GET /auth/oauth/providers`). */
export const PROVIDER_LABELS: Record<ProviderName, string> = {
  google: "Google",
  github: "GitHub",
  oidc: "OpenID Connect",
};

/** Google is an OpenID Connect issuer too: found through its own discovery document. */
export const GOOGLE_ISSUER = "https://accounts.google.com";
/** Google's ID tokens may name their issuer without the scheme. */
const GOOGLE_ISSUERS = [GOOGLE_ISSUER, "accounts.google.com"];

export const GITHUB_AUTHORIZE_URL = "https://github.com/login/oauth/authorize";
export const GITHUB_TOKEN_URL = "https://github.com/login/oauth/access_token";
export const GITHUB_API = "https://api.github.com";

/** ID-token signature algorithms accepted at all: asymmetric ones (never `none`, never a shared-secret HMAC). */
const ASYMMETRIC_ALGORITHMS = new Set([
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
]);

/** What a sign-in with one provider needs to know. */
export interface ProviderSetup {
  name: ProviderName;
  client: OAuthClient;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  scope: string;
  /** How the client authenticates at the token endpoint. */
  tokenAuth: "basic" | "post";
  /** OpenID providers: how their ID tokens are verified. GitHub (plain OAuth) has none. */
  openid?: { issuers: string[]; jwksUri: string; algorithms: string[] };
}

/** The configured providers, in a stable order. */
export function configuredProviders(deps: Deps): ProviderName[] {
  return PROVIDER_NAMES.filter((name) => deps.config.oauth[name] !== undefined);
}

/** The provider named `name` if it is configured; else 404 `OAUTH_PROVIDER_NOT_CONFIGURED`. */
export function configuredProvider(deps: Deps, name: string): ProviderName {
  const found = PROVIDER_NAMES.find((p) => p === name);
  if (!found || !deps.config.oauth[found]) throw OAuthErrors.OAUTH_PROVIDER_NOT_CONFIGURED(name);
  return found;
}

const DiscoveryDocument = z.object({
  issuer: z.string(),
  authorization_endpoint: z.string().check(z.refine(isAllowedEndpoint)),
  token_endpoint: z.string().check(z.refine(isAllowedEndpoint)),
  jwks_uri: z.string().check(z.refine(isAllowedEndpoint)),
  id_token_signing_alg_values_supported: z.optional(z.array(z.string())),
  token_endpoint_auth_methods_supported: z.optional(z.array(z.string())),
});
type DiscoveryDocument = z.infer<typeof DiscoveryDocument>;

/** Discovery documents are read again after an hour. */
const DISCOVERY_TTL_MS = 60 * 60 * 1000;
const discoveryCache = new TimedCache<DiscoveryDocument>(DISCOVERY_TTL_MS);

/**
 * The issuer's `/.well-known/openid-configuration`, cached in this isolate for an hour. Its `issuer`
 * must be exactly the configured one (OpenID Connect Discovery 1.0, 4.3); its endpoints `https` (or
 * loopback `http`, for a local issuer).
 */
async function discover(deps: Deps, provider: ProviderName, issuer: string): Promise<DiscoveryDocument> {
  const hit = discoveryCache.get(issuer, deps.clock);
  if (hit) return hit.value;
  const url = `${issuer}/.well-known/openid-configuration`;
  const parsed = DiscoveryDocument.safeParse(
    await providerJson(provider, "the discovery document", url, { headers: { accept: "application/json" } }),
  );
  if (!parsed.success || parsed.data.issuer.replace(/\/+$/, "") !== issuer) {
    throw OAuthErrors.OAUTH_PROVIDER_ERROR(provider, "its discovery document is not valid for the configured issuer");
  }
  discoveryCache.set(issuer, parsed.data, deps.clock);
  return parsed.data;
}

/** The signing algorithms the issuer advertises, among the accepted ones (RS256 when it advertises none). */
function algorithmsOf(provider: ProviderName, doc: DiscoveryDocument): string[] {
  const algs = (doc.id_token_signing_alg_values_supported ?? ["RS256"]).filter((a) => ASYMMETRIC_ALGORITHMS.has(a));
  if (algs.length === 0)
    throw OAuthErrors.OAUTH_PROVIDER_ERROR(provider, "it signs ID tokens with no accepted algorithm");
  return algs;
}

/** Client authentication at the token endpoint: Basic unless the issuer supports only `client_secret_post`. */
function tokenAuthOf(doc: DiscoveryDocument): "basic" | "post" {
  const methods = doc.token_endpoint_auth_methods_supported ?? ["client_secret_basic"];
  return !methods.includes("client_secret_basic") && methods.includes("client_secret_post") ? "post" : "basic";
}

/** Everything a sign-in with `name` (configured) needs: endpoints (discovered for OpenID issuers), scope, keys. */
export async function setupOf(deps: Deps, name: ProviderName): Promise<ProviderSetup> {
  const { google, github, oidc } = deps.config.oauth;
  if (name === "github" && github) {
    return {
      name,
      client: github,
      authorizationEndpoint: GITHUB_AUTHORIZE_URL,
      tokenEndpoint: GITHUB_TOKEN_URL,
      scope: "read:user user:email",
      tokenAuth: "post",
    };
  }
  const issuer = name === "google" ? GOOGLE_ISSUER : oidc?.issuer;
  const client = name === "google" ? google : oidc;
  if (!issuer || !client) throw OAuthErrors.OAUTH_PROVIDER_NOT_CONFIGURED(name);
  const doc = await discover(deps, name, issuer);
  return {
    name,
    client,
    authorizationEndpoint: doc.authorization_endpoint,
    tokenEndpoint: doc.token_endpoint,
    scope: "openid email profile",
    tokenAuth: name === "google" ? "post" : tokenAuthOf(doc),
    openid: {
      issuers: name === "google" ? GOOGLE_ISSUERS : [issuer, doc.issuer].filter((v, i, a) => a.indexOf(v) === i),
      jwksUri: doc.jwks_uri,
      algorithms: algorithmsOf(name, doc),
    },
  };
}
