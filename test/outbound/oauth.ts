import { createHash } from "node:crypto";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";

/**
 * Fakes of Google, GitHub and an OpenID Connect issuer at the fetch boundary, for `vitest.config.ts`'s
 * outbound service (this runs in the Node process of vitest, not in workerd). A test plays the browser
 * and the provider's consent screen: it reads the authorization URL the API redirected to, then
 * registers a code with what the provider is to answer for it (`POST https://oauth-fake.test/__grant`);
 * the fake token endpoint checks client credentials, redirect URI and PKCE verifier exactly as a
 * provider does, uses the code once, and signs the ID token with the issuer's key (generated here with
 * jose, published at the issuer's JWKS) or, when the test asks, with another key.
 */

/** Client credentials the tests configure (`vitest.config.ts` bindings). */
export const OAUTH_TEST_BINDINGS = {
  GOOGLE_CLIENT_ID: "google-client.apps.test",
  GOOGLE_CLIENT_SECRET: "google-secret",
  GITHUB_CLIENT_ID: "github-client",
  GITHUB_CLIENT_SECRET: "github-secret",
  OIDC_ISSUER: "https://idp.example.test",
  OIDC_CLIENT_ID: "oidc-client",
  OIDC_CLIENT_SECRET: "oidc-secret",
};

const GOOGLE = "https://accounts.google.com";
const OIDC = OAUTH_TEST_BINDINGS.OIDC_ISSUER;

interface Grant {
  provider: "google" | "github" | "oidc";
  code_challenge: string;
  redirect_uri: string;
  /** OpenID: the ID token's claims (iss, aud, iat and exp default to the right values). */
  claims?: JWTPayload;
  /** OpenID: sign with the issuer's published key (default) or an unpublished one with the same `kid`. */
  key?: "issuer" | "other";
  /** GitHub: what its user and emails APIs answer. */
  github?: { user: unknown; emails: unknown };
}

const grants = new Map<string, Grant>();
const githubTokens = new Map<string, Grant>();

type Signer = { alg: string; kid: string; privateKey: CryptoKey; other: CryptoKey; jwk: Record<string, unknown> };

async function signer(alg: "RS256" | "ES256", kid: string): Promise<Signer> {
  const main = await generateKeyPair(alg, { extractable: true });
  const other = await generateKeyPair(alg);
  return {
    alg,
    kid,
    privateKey: main.privateKey,
    other: other.privateKey,
    jwk: { ...(await exportJWK(main.publicKey)), kid, alg, use: "sig" },
  };
}

let keys: Promise<{ google: Signer; oidc: Signer }> | undefined;
const keysOnce = () => {
  keys ??= Promise.all([signer("RS256", "google-test-key"), signer("ES256", "oidc-test-key")]).then(
    ([google, oidc]) => ({ google, oidc }),
  );
  return keys;
};

const discovery = (issuer: string, over: Record<string, unknown>) =>
  Response.json({
    issuer,
    response_types_supported: ["code"],
    subject_types_supported: ["public"],
    ...over,
  });

const s256 = (verifier: string) => createHash("sha256").update(verifier).digest("base64url");

/** The client credentials of a token request (HTTP Basic or in the form). */
function clientOf(request: Request, form: URLSearchParams): { id: string | null; secret: string | null } {
  const basic = request.headers.get("authorization");
  if (basic?.startsWith("Basic ")) {
    const [id, secret] = Buffer.from(basic.slice(6), "base64").toString().split(":").map(decodeURIComponent);
    return { id: id ?? null, secret: secret ?? null };
  }
  return { id: form.get("client_id"), secret: form.get("client_secret") };
}

const CLIENTS = {
  google: [OAUTH_TEST_BINDINGS.GOOGLE_CLIENT_ID, OAUTH_TEST_BINDINGS.GOOGLE_CLIENT_SECRET],
  github: [OAUTH_TEST_BINDINGS.GITHUB_CLIENT_ID, OAUTH_TEST_BINDINGS.GITHUB_CLIENT_SECRET],
  oidc: [OAUTH_TEST_BINDINGS.OIDC_CLIENT_ID, OAUTH_TEST_BINDINGS.OIDC_CLIENT_SECRET],
} as const;

/** A provider's token endpoint: the code once, for its client, its redirect URI and its PKCE verifier. */
async function token(request: Request, provider: Grant["provider"]): Promise<Response> {
  const form = new URLSearchParams(await request.text());
  const client = clientOf(request, form);
  const [id, secret] = CLIENTS[provider];
  if (client.id !== id || client.secret !== secret) return Response.json({ error: "invalid_client" }, { status: 401 });
  const code = form.get("code") ?? "";
  const grant = grants.get(code);
  grants.delete(code);
  const verifier = form.get("code_verifier") ?? "";
  if (
    !grant ||
    grant.provider !== provider ||
    form.get("grant_type") !== "authorization_code" ||
    form.get("redirect_uri") !== grant.redirect_uri ||
    s256(verifier) !== grant.code_challenge
  ) {
    // GitHub answers a bad code with 200 and an error field; the others with 400.
    return Response.json({ error: "invalid_grant" }, { status: provider === "github" ? 200 : 400 });
  }
  if (provider === "github") {
    const accessToken = `gho_${code}`;
    githubTokens.set(accessToken, grant);
    return Response.json({ access_token: accessToken, token_type: "bearer", scope: "read:user,user:email" });
  }
  const k = (await keysOnce())[provider];
  const now = Math.floor(Date.now() / 1000);
  const idToken = await new SignJWT({
    iss: provider === "google" ? GOOGLE : OIDC,
    aud: id,
    iat: now,
    exp: now + 300,
    ...grant.claims,
  })
    .setProtectedHeader({ alg: k.alg, kid: k.kid, typ: "JWT" })
    .sign(grant.key === "other" ? k.other : k.privateKey);
  return Response.json({ access_token: `at_${code}`, token_type: "Bearer", expires_in: 300, id_token: idToken });
}

/** GitHub's user APIs, for a token its token endpoint issued. */
function githubApi(request: Request, what: "user" | "emails"): Response {
  const grant = githubTokens.get((request.headers.get("authorization") ?? "").replace(/^Bearer /, ""));
  if (!grant?.github) return Response.json({ message: "Bad credentials" }, { status: 401 });
  if (!request.headers.get("user-agent")) return new Response("User-Agent required", { status: 403 });
  return Response.json(what === "user" ? grant.github.user : grant.github.emails);
}

/** The fakes' handler: a Response for their hosts, undefined for any other request. */
export async function oauthOutbound(request: Request): Promise<Response | undefined> {
  const url = new URL(request.url);
  const at = `${request.method} ${url.origin}${url.pathname}`;
  switch (at) {
    case "POST https://oauth-fake.test/__grant": {
      const { code, ...grant } = (await request.json()) as Grant & { code: string };
      grants.set(code, grant);
      return Response.json({ ok: true });
    }
    case `GET ${GOOGLE}/.well-known/openid-configuration`:
      return discovery(GOOGLE, {
        authorization_endpoint: `${GOOGLE}/o/oauth2/v2/auth`,
        token_endpoint: "https://oauth2.googleapis.com/token",
        jwks_uri: "https://www.googleapis.com/oauth2/v3/certs",
        id_token_signing_alg_values_supported: ["RS256"],
        token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
      });
    case "GET https://www.googleapis.com/oauth2/v3/certs":
      return Response.json({ keys: [(await keysOnce()).google.jwk] });
    case "POST https://oauth2.googleapis.com/token":
      return token(request, "google");
    case `GET ${OIDC}/.well-known/openid-configuration`:
      return discovery(OIDC, {
        authorization_endpoint: `${OIDC}/authorize`,
        token_endpoint: `${OIDC}/token`,
        jwks_uri: `${OIDC}/jwks`,
        id_token_signing_alg_values_supported: ["ES256"],
        token_endpoint_auth_methods_supported: ["client_secret_basic"],
      });
    case `GET ${OIDC}/jwks`:
      return Response.json({ keys: [(await keysOnce()).oidc.jwk] });
    case `POST ${OIDC}/token`:
      return token(request, "oidc");
    case "POST https://github.com/login/oauth/access_token":
      return token(request, "github");
    case "GET https://api.github.com/user":
      return githubApi(request, "user");
    case "GET https://api.github.com/user/emails":
      return githubApi(request, "emails");
    default:
      return undefined;
  }
}
