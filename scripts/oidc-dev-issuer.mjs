#!/usr/bin/env node
/**
 * A tiny OpenID Connect issuer on 127.0.0.1 for trying the `oidc` sign-in provider end to end without
 * the internet (development only: it signs in whoever types an email address).
 *
 *   node scripts/oidc-dev-issuer.mjs            # http://127.0.0.1:9400, client dev-client / dev-secret
 *   PORT=9401 CLIENT_ID=x CLIENT_SECRET=y node scripts/oidc-dev-issuer.mjs
 *
 * It serves discovery (`/.well-known/openid-configuration`), its key set (`/jwks`, a fresh ES256 key per
 * run), `/authorize` (a form asking which email to sign in as, then a redirect back with a code) and
 * `/token` (checks the client secret, Basic or in the form, the redirect URI and the PKCE S256 verifier;
 * answers an ID token with the nonce). Then give the API:
 *
 *   OIDC_ISSUER=http://127.0.0.1:9400  OIDC_CLIENT_ID=dev-client  OIDC_CLIENT_SECRET=dev-secret
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

const PORT = Number(process.env.PORT ?? 9400);
const ISSUER = `http://127.0.0.1:${PORT}`;
const CLIENT_ID = process.env.CLIENT_ID ?? "dev-client";
const CLIENT_SECRET = process.env.CLIENT_SECRET ?? "dev-secret";
const KID = `dev-${Date.now()}`;

const { privateKey, publicKey } = await generateKeyPair("ES256");
const jwk = { ...(await exportJWK(publicKey)), kid: KID, alg: "ES256", use: "sig" };
/** Codes issued by /authorize, used once by /token. */
const codes = new Map();

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const json = (res, status, body) => {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
};
const readBody = (req) =>
  new Promise((resolve) => {
    let data = "";
    req.on("data", (chunk) => {
      data += chunk;
    });
    req.on("end", () => resolve(data));
  });

function authorizeForm(q, res) {
  if (
    q.get("client_id") !== CLIENT_ID ||
    q.get("response_type") !== "code" ||
    q.get("code_challenge_method") !== "S256"
  ) {
    return json(res, 400, {
      error: "invalid_request",
      error_description: "client_id, response_type=code and PKCE S256 required",
    });
  }
  const hidden = ["redirect_uri", "state", "nonce", "code_challenge"]
    .map((k) => `<input type="hidden" name="${k}" value="${escapeHtml(q.get(k) ?? "")}">`)
    .join("");
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end(`<!doctype html><meta charset="utf-8"><title>Dev issuer</title>
<form method="post" action="/authorize">${hidden}
<p>Development OpenID issuer: sign in as</p>
<p><label>Email <input name="email" value="dev.user@example.com"></label></p>
<p><label>Name <input name="name" value="Dev User"></label></p>
<p><label><input type="checkbox" name="email_verified" checked> email verified</label></p>
<button>Sign in</button> <button name="deny" value="1">Deny</button></form>`);
}

async function approve(req, res) {
  const f = new URLSearchParams(await readBody(req));
  const back = new URL(f.get("redirect_uri") ?? "");
  back.searchParams.set("state", f.get("state") ?? "");
  back.searchParams.set("iss", ISSUER);
  if (f.get("deny")) {
    back.searchParams.set("error", "access_denied");
  } else {
    const code = randomBytes(24).toString("base64url");
    const email = (f.get("email") ?? "").trim().toLowerCase();
    codes.set(code, {
      redirectUri: f.get("redirect_uri"),
      challenge: f.get("code_challenge"),
      nonce: f.get("nonce"),
      claims: { sub: `dev|${email}`, email, email_verified: f.has("email_verified"), name: f.get("name") ?? "" },
      expires: Date.now() + 60_000,
    });
    back.searchParams.set("code", code);
  }
  res.writeHead(302, { location: back.toString() });
  res.end();
}

async function token(req, res) {
  const f = new URLSearchParams(await readBody(req));
  let [id, secret] = [f.get("client_id"), f.get("client_secret")];
  const basic = req.headers.authorization;
  if (basic?.startsWith("Basic ")) {
    [id, secret] = Buffer.from(basic.slice(6), "base64").toString().split(":").map(decodeURIComponent);
  }
  if (id !== CLIENT_ID || secret !== CLIENT_SECRET) return json(res, 401, { error: "invalid_client" });
  const grant = codes.get(f.get("code"));
  codes.delete(f.get("code"));
  const verifier = f.get("code_verifier") ?? "";
  if (
    !grant ||
    grant.expires < Date.now() ||
    grant.redirectUri !== f.get("redirect_uri") ||
    createHash("sha256").update(verifier).digest("base64url") !== grant.challenge
  ) {
    return json(res, 400, { error: "invalid_grant" });
  }
  const idToken = await new SignJWT({ ...grant.claims, nonce: grant.nonce })
    .setProtectedHeader({ alg: "ES256", kid: KID, typ: "JWT" })
    .setIssuer(ISSUER)
    .setAudience(CLIENT_ID)
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(privateKey);
  json(res, 200, {
    access_token: randomBytes(24).toString("base64url"),
    token_type: "Bearer",
    expires_in: 300,
    id_token: idToken,
  });
}

createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", ISSUER);
  const route = `${req.method} ${url.pathname}`;
  if (route === "GET /.well-known/openid-configuration") {
    return json(res, 200, {
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/authorize`,
      token_endpoint: `${ISSUER}/token`,
      jwks_uri: `${ISSUER}/jwks`,
      response_types_supported: ["code"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["ES256"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      code_challenge_methods_supported: ["S256"],
      scopes_supported: ["openid", "email", "profile"],
    });
  }
  if (route === "GET /jwks") return json(res, 200, { keys: [jwk] });
  if (route === "GET /authorize") return authorizeForm(url.searchParams, res);
  if (route === "POST /authorize") return approve(req, res);
  if (route === "POST /token") return token(req, res);
  json(res, 404, { error: "not_found" });
}).listen(PORT, "127.0.0.1", () => {
  console.log(`OpenID dev issuer at ${ISSUER} (client ${CLIENT_ID} / ${CLIENT_SECRET})`);
  console.log(`API: OIDC_ISSUER=${ISSUER} OIDC_CLIENT_ID=${CLIENT_ID} OIDC_CLIENT_SECRET=${CLIENT_SECRET}`);
});
