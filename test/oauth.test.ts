import { describe, expect, it } from "vitest";
import { sha256Hex } from "../src/lib/encoding";
import { base32Decode, hotp, totpStep } from "../src/lib/totp";
import { createUser, tokenFor } from "./factories";
import { API, body, call, clientAt, env, expectError, manualClock, send, unique } from "./helpers";
import { formPost } from "./links";
import { createEndpoint, receiverUrl, recordingQueue } from "./webhook-helpers";

const OAUTH = "/api/v1/auth/oauth";
type Provider = "google" | "github" | "oidc";
type Client = { call: typeof call };
/** The Worker's fetch follows redirects unless told not to; a browser test reads them itself. */
const MANUAL = { redirect: "manual" } as const;

/** What the test, as the provider, answers for the code (see `test/outbound/oauth.ts`). */
interface ProviderAnswer {
  claims?: Record<string, unknown>;
  key?: "issuer" | "other";
  github?: { user: unknown; emails: unknown };
}

/** The `oauth_state` cookie a response sets (its value), if any. */
function stateCookieOf(res: Response): string | undefined {
  const line = res.headers.getSetCookie().find((c) => c.startsWith("oauth_state="));
  return line?.slice("oauth_state=".length).split(";")[0];
}

/**
 * Starts a sign-in as a browser does, then plays the provider's consent screen: registers a code with
 * what the provider will answer for it. `callback()` comes back to the API with the code, the state
 * and the browser's state cookie.
 */
async function startSignIn(
  provider: Provider,
  answer: ProviderAnswer = {},
  opts: { next?: string; client?: Client } = {},
) {
  const client = opts.client ?? { call };
  const start = await client.call(
    `${OAUTH}/${provider}${opts.next ? `?next=${encodeURIComponent(opts.next)}` : ""}`,
    MANUAL,
  );
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.get("location") ?? "");
  const state = authorize.searchParams.get("state") ?? "";
  const cookie = stateCookieOf(start) ?? "";
  const code = unique("code");
  const nonce = authorize.searchParams.get("nonce");
  await fetch("https://oauth-fake.test/__grant", {
    method: "POST",
    body: JSON.stringify({
      code,
      provider,
      code_challenge: authorize.searchParams.get("code_challenge"),
      redirect_uri: authorize.searchParams.get("redirect_uri"),
      claims: { nonce, ...answer.claims },
      key: answer.key,
      github: answer.github,
    }),
  });
  const callbackUrl = (query: Record<string, string>) =>
    `${authorize.searchParams.get("redirect_uri")}?${new URLSearchParams(query)}`;
  return {
    start,
    authorize,
    state,
    cookie,
    code,
    callbackUrl,
    callback: (over: { state?: string; cookie?: string | null; query?: Record<string, string> } = {}) => {
      const cookieValue = over.cookie === undefined ? cookie : over.cookie;
      return client.call(callbackUrl(over.query ?? { code, state: over.state ?? state }), {
        ...MANUAL,
        headers: cookieValue === null ? {} : { cookie: `oauth_state=${cookieValue}` },
      });
    },
  };
}

/**
 * A verified user with TOTP on (enabled with the code of the step before `step`, the current one):
 * its TOTP secret's bytes, for codes of `step` and later.
 */
async function verifiedUserWithTotp() {
  const existing = await verifiedUser();
  const token = await tokenFor(existing.id);
  const setup = await body(await send("POST", "/api/v1/auth/mfa/totp/setup", undefined, token));
  const secret = base32Decode(setup.secret);
  const step = totpStep(Date.now());
  const enable = await send("POST", "/api/v1/auth/mfa/totp/enable", { code: await hotp(secret, step - 1) }, token);
  expect(enable.status).toBe(200);
  return { existing, secret, step };
}

/** A Google (or OIDC) person: `sub`, email and names for the ID token. */
function person(over: Record<string, unknown> = {}): Record<string, unknown> & { sub: string; email: string } {
  const handle = unique("pat");
  return {
    sub: unique("sub"),
    email: `${handle}@gmail.test`,
    email_verified: true,
    name: "Pat Example",
    given_name: "Pat",
    family_name: "Example",
    ...over,
  };
}

/** A GitHub account whose primary email is `email` (verified unless said), and another verified one. */
function githubAccount(email: string, opts: { verified?: boolean; login?: string } = {}) {
  return {
    user: { id: Math.floor(Math.random() * 1e9), login: opts.login ?? unique("octo"), name: "Octo Cat" },
    emails: [
      { email: `${unique("other")}@example.test`, primary: false, verified: true },
      { email, primary: true, verified: opts.verified ?? true },
    ],
  };
}

const cookieOf = (res: Response, name: string) =>
  res.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${name}=`))
    ?.slice(name.length + 1)
    .split(";")[0];

/** A user whose email address is verified (a provider identity may be linked to it by that address). */
async function verifiedUser(opts: Parameters<typeof createUser>[0] = {}) {
  const user = await createUser(opts);
  await env.DB.prepare("UPDATE users SET email_verified = 1 WHERE id = ?1").bind(user.id).run();
  return user;
}

async function userByEmail(email: string) {
  return env.DB.prepare(
    `SELECT u.id, u.username, u.auth_provider, u.email_verified, u.password_hash, u.first_name, u.last_name,
            (SELECT group_concat(r.name) FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id) AS roles
       FROM users u WHERE lower(u.email) = lower(?1)`,
  )
    .bind(email)
    .first<{
      id: number;
      username: string;
      auth_provider: string;
      email_verified: number;
      password_hash: string | null;
      first_name: string | null;
      last_name: string | null;
      roles: string;
    }>();
}

const identitiesOf = (userId: number) =>
  env.DB.prepare("SELECT provider, provider_user_id FROM oauth_identities WHERE user_id = ?1 ORDER BY id")
    .bind(userId)
    .all<{ provider: string; provider_user_id: string }>()
    .then((r) => r.results);

const sessionsOf = (userId: number) =>
  env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_id = ?1")
    .bind(userId)
    .first<{ n: number }>()
    .then((r) => r?.n ?? 0);

/** Expects a signed-in 303 to `next` with the auth cookies, and that the access cookie is the user's. */
async function expectSignedIn(res: Response, next: string) {
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe(next);
  const access = cookieOf(res, "access_token");
  expect(access).toBeTruthy();
  expect(cookieOf(res, "refresh_token")).toBeTruthy();
  expect(cookieOf(res, "oauth_state")).toBe("");
  const me = await call(`${API}/auth/me`, { headers: { Authorization: `Bearer ${access}` } });
  expect(me.status).toBe(200);
  return body(me);
}

describe("GET /auth/oauth/providers and unconfigured providers", () => {
  it("lists the configured providers", async () => {
    const res = await call(`${OAUTH}/providers`);
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({
      providers: [
        { provider: "google", name: "Google", authorization_url: `${OAUTH}/google` },
        { provider: "github", name: "GitHub", authorization_url: `${OAUTH}/github` },
        { provider: "oidc", name: "OpenID Connect", authorization_url: `${OAUTH}/oidc` },
      ],
    });
  });

  it("leaves out a provider without its secret and answers 404 OAUTH_PROVIDER_NOT_CONFIGURED for it", async () => {
    const client = clientAt(manualClock(), { OIDC_CLIENT_SECRET: "", GITHUB_CLIENT_ID: "" });
    const list = await body(await client.call(`${OAUTH}/providers`));
    expect(list.providers.map((p: { provider: string }) => p.provider)).toEqual(["google"]);
    await expectError(await client.call(`${OAUTH}/oidc`), 404, "OAUTH_PROVIDER_NOT_CONFIGURED");
    await expectError(
      await client.call(`${OAUTH}/github/callback?code=x&state=y`),
      404,
      "OAUTH_PROVIDER_NOT_CONFIGURED",
    );
    await expectError(await call(`${OAUTH}/facebook`), 404, "OAUTH_PROVIDER_NOT_CONFIGURED");
  });
});

describe("GET /auth/oauth/{provider}", () => {
  it("redirects to Google with the exact redirect URI, minimal scopes, PKCE S256, a nonce and a hashed, browser-bound state", async () => {
    const { start, authorize, state, cookie } = await startSignIn("google");
    expect(`${authorize.origin}${authorize.pathname}`).toBe("https://accounts.google.com/o/oauth2/v2/auth");
    const q = Object.fromEntries(authorize.searchParams);
    expect(q).toMatchObject({
      response_type: "code",
      client_id: "google-client.apps.test",
      redirect_uri: "https://api.example.test/api/v1/auth/oauth/google/callback",
      scope: "openid email profile",
      code_challenge_method: "S256",
    });
    expect(q.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const hash = await sha256Hex(state);
    expect(cookie).toBe(hash);
    const line = start.headers.getSetCookie().find((c) => c.startsWith("oauth_state=")) ?? "";
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/Secure/);
    expect(line).toMatch(/SameSite=Lax/);
    expect(line).toMatch(/Path=\/api\/v1\/auth\/oauth/);
    expect(line).toMatch(/Max-Age=600/);
    // Stored under its hash only, with the verifier and nonce the callback will need.
    const record = await env.TOKENS_KV.get<{ provider: string; nonce: string; codeVerifier: string }>(
      `oauth_state:${hash}`,
      "json",
    );
    expect(record).toMatchObject({ provider: "google", nonce: q.nonce });
    expect(await env.TOKENS_KV.get(`oauth_state:${state}`)).toBeNull();
  });

  it("asks GitHub for its user and email scopes, without a nonce", async () => {
    const { authorize } = await startSignIn("github");
    expect(`${authorize.origin}${authorize.pathname}`).toBe("https://github.com/login/oauth/authorize");
    expect(authorize.searchParams.get("scope")).toBe("read:user user:email");
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("nonce")).toBeNull();
  });

  it.each([
    "//evil.example/x",
    "/\\evil.example",
    "https://evil.example/",
    "/%2F%2Fevil.example",
    "javascript:alert(1)",
    "evil.example",
  ])("refuses next=%s with 422 and starts nothing", async (next) => {
    const res = await call(`${OAUTH}/google?next=${encodeURIComponent(next)}`, MANUAL);
    await expectError(res, 422, "VALIDATION_ERROR");
    expect(stateCookieOf(res)).toBeUndefined();
  });
});

describe("GET /auth/oauth/{provider}/callback: full flows", () => {
  it("Google: creates an EMPLOYEE without a password, links the identity, signs in and goes to next", async () => {
    const who = person({ email: `${unique("Jane.Doe")}@gmail.test` });
    const flow = await startSignIn("google", { claims: who }, { next: "/trainings?tab=mine" });
    const res = await flow.callback();
    const me = await expectSignedIn(res, "/trainings?tab=mine");
    const user = await userByEmail(who.email);
    expect(user).toMatchObject({
      auth_provider: "google",
      email_verified: 1,
      password_hash: null,
      first_name: "Pat",
      last_name: "Example",
      roles: "EMPLOYEE",
    });
    expect(user?.username).toBe(who.email.split("@")[0]?.toLowerCase());
    expect(me.id ?? me.user?.id).toBe(user?.id);
    expect(await identitiesOf(user?.id ?? 0)).toEqual([{ provider: "google", provider_user_id: who.sub }]);
    const event = await env.DB.prepare(
      "SELECT event, detail FROM auth_events WHERE user_id = ?1 ORDER BY id DESC LIMIT 1",
    )
      .bind(user?.id)
      .first();
    expect(event).toEqual({ event: "oauth_login", detail: "google: new account" });
    const outbox = await env.DB.prepare(
      "SELECT json_extract(payload, '$.data.user_id') AS id FROM outbox_events WHERE event = 'user.registered' AND json_extract(payload, '$.data.email') = ?1",
    )
      .bind(who.email.toLowerCase())
      .first<{ id: number }>();
    expect(outbox?.id).toBe(user?.id);
  });

  it("dispatches the new user's user.registered webhook right after the callback (a GET), not a relay run later", async () => {
    const { webhook } = await createEndpoint({ url: receiverUrl("ok").url, events: ["user.registered"] });
    const { sent, queue } = recordingQueue();
    const client = clientAt({ now: () => Date.now() }, { WEBHOOK_QUEUE: queue });
    const who = person();
    await expectSignedIn(await (await startSignIn("google", { claims: who }, { client })).callback(), "/");
    const user = await userByEmail(who.email);
    const event = await env.DB.prepare(
      "SELECT id FROM outbox_events WHERE event = 'user.registered' AND json_extract(payload, '$.data.user_id') = ?1",
    )
      .bind(user?.id)
      .first<{ id: number }>();
    expect(sent).toContainEqual({ event_id: event?.id, endpoint_id: webhook.id });
  });

  it("Google: a linked identity signs in its user again, whatever email the token now carries", async () => {
    const who = person();
    await expectSignedIn(await (await startSignIn("google", { claims: who })).callback(), "/");
    const user = await userByEmail(who.email);
    const again = await startSignIn("google", { claims: { ...who, email: `${unique("new")}@gmail.test` } });
    const me = await expectSignedIn(await again.callback(), "/");
    expect(me.id ?? me.user?.id).toBe(user?.id);
    expect(await sessionsOf(user?.id ?? 0)).toBe(2);
    expect(await identitiesOf(user?.id ?? 0)).toHaveLength(1);
  });

  it("GitHub: uses the primary verified email and the login as username", async () => {
    const login = unique("octo");
    const email = `${login}@users.example.test`;
    const flow = await startSignIn("github", { github: githubAccount(email, { login }) });
    await expectSignedIn(await flow.callback(), "/");
    const user = await userByEmail(email);
    expect(user).toMatchObject({ username: login, auth_provider: "github", email_verified: 1, roles: "EMPLOYEE" });
    expect((await identitiesOf(user?.id ?? 0))[0]?.provider).toBe("github");
  });

  it("GitHub: an unverified primary email signs nobody in (400 OAUTH_EMAIL_UNAVAILABLE)", async () => {
    const email = `${unique("unverified")}@users.example.test`;
    const flow = await startSignIn("github", { github: githubAccount(email, { verified: false }) });
    await expectError(await flow.callback(), 400, "OAUTH_EMAIL_UNAVAILABLE");
    expect(await userByEmail(email)).toBeNull();
  });

  it("OIDC: discovers the issuer, authenticates with HTTP Basic, verifies the ES256 ID token and signs in", async () => {
    const who = person({ preferred_username: unique("kc.user") });
    const flow = await startSignIn("oidc", { claims: who }, { next: "/modules" });
    expect(`${flow.authorize.origin}${flow.authorize.pathname}`).toBe("https://idp.example.test/authorize");
    await expectSignedIn(await flow.callback(), "/modules");
    expect(await userByEmail(who.email)).toMatchObject({ username: who.preferred_username, auth_provider: "oidc" });
  });

  it("creates no user from an email the provider has not verified (400 OAUTH_EMAIL_UNAVAILABLE)", async () => {
    // Its creator could otherwise sign in to the address owner's account later, once the owner proves
    // the address (by an emailed link) on an account whose identity the creator still holds.
    const who = person({ email_verified: false });
    await expectError(await (await startSignIn("oidc", { claims: who })).callback(), 400, "OAUTH_EMAIL_UNAVAILABLE");
    expect(await userByEmail(who.email)).toBeNull();
  });

  it("gives a new user a free username when the profile's is taken", async () => {
    const taken = await createUser();
    const who = person({ preferred_username: taken.username.toUpperCase() });
    await expectSignedIn(await (await startSignIn("oidc", { claims: who })).callback(), "/");
    const user = await userByEmail(who.email);
    expect(user?.username.toLowerCase()).toBe(`${taken.username}-oidc`.toLowerCase());
  });
});

describe("GET /auth/oauth/{provider}/callback: linking to existing accounts", () => {
  it("links an existing user through an email both the provider and the account have verified", async () => {
    const existing = await verifiedUser();
    const who = person({ email: existing.email.toUpperCase() });
    const me = await expectSignedIn(await (await startSignIn("google", { claims: who })).callback(), "/");
    expect(me.id ?? me.user?.id).toBe(existing.id);
    expect(await identitiesOf(existing.id)).toEqual([{ provider: "google", provider_user_id: who.sub }]);
    expect(await userByEmail(existing.email)).toMatchObject({ email_verified: 1, auth_provider: "local" });
  });

  it("never links to an account whose address nobody has proved (409, pre-account takeover)", async () => {
    // Someone registered the victim's address with their own password; the victim then signs in with Google.
    const squatter = await createUser();
    const who = person({ email: squatter.email });
    const res = await (await startSignIn("google", { claims: who })).callback();
    await expectError(res, 409, "OAUTH_ACCOUNT_NOT_VERIFIED");
    expect(cookieOf(res, "access_token")).toBeUndefined();
    expect(await identitiesOf(squatter.id)).toEqual([]);
    expect(await sessionsOf(squatter.id)).toBe(0);
    expect(await userByEmail(squatter.email)).toMatchObject({ email_verified: 0 });
  });

  it("asks an account with TOTP on for its code before signing it in, and links the identity only then", async () => {
    const { existing, secret, step } = await verifiedUserWithTotp();
    const who = person({ email: existing.email });
    const res = await (await startSignIn("google", { claims: who }, { next: "/trainings" })).callback();
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie().some((c) => c.startsWith("access_token="))).toBe(false);
    const html = await res.text();
    expect(html).toContain('action="/api/v1/auth/mfa/verify"');
    expect(await sessionsOf(existing.id)).toBe(1); // the test's own token's session only
    // Only the first factor passed: the identity is not linked yet.
    expect(await identitiesOf(existing.id)).toEqual([]);
    const mfaToken = /name="mfa_token" value="([^"]+)"/.exec(html)?.[1] ?? "";
    const done = await call(
      "/api/v1/auth/mfa/verify",
      formPost({ mfa_token: mfaToken, code: await hotp(secret, step) }),
    );
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/trainings");
    expect(done.headers.getSetCookie().some((c) => c.startsWith("access_token="))).toBe(true);
    expect(await sessionsOf(existing.id)).toBe(2);
    // The code passed: now it is.
    expect(await identitiesOf(existing.id)).toEqual([{ provider: "google", provider_user_id: who.sub }]);
  });

  it("with TOTP on, two pending sign-ins of one identity both complete (the second finds it linked to the same user)", async () => {
    const { existing, secret, step } = await verifiedUserWithTotp();
    const who = person({ email: existing.email });
    const pending = async () => {
      const res = await (await startSignIn("google", { claims: who })).callback();
      return /name="mfa_token" value="([^"]+)"/.exec(await res.text())?.[1] ?? "";
    };
    const [first, second] = [await pending(), await pending()];
    for (const [mfa_token, code] of [
      [first, await hotp(secret, step)],
      [second, await hotp(secret, step + 1)],
    ] as const) {
      const done = await send("POST", "/api/v1/auth/mfa/verify", { mfa_token, code });
      expect(done.status).toBe(200);
    }
    expect(await identitiesOf(existing.id)).toEqual([{ provider: "google", provider_user_id: who.sub }]);
  });

  it("lets a user have several identities", async () => {
    const existing = await verifiedUser();
    await expectSignedIn(
      await (await startSignIn("google", { claims: person({ email: existing.email }) })).callback(),
      "/",
    );
    await expectSignedIn(
      await (await startSignIn("github", { github: githubAccount(existing.email) })).callback(),
      "/",
    );
    expect((await identitiesOf(existing.id)).map((i) => i.provider)).toEqual(["google", "github"]);
  });

  it("never links through an email the provider has not verified (409, nothing written)", async () => {
    const existing = await createUser();
    const who = person({ email: existing.email, email_verified: false });
    const res = await (await startSignIn("oidc", { claims: who })).callback();
    await expectError(res, 409, "OAUTH_EMAIL_NOT_VERIFIED");
    expect(await identitiesOf(existing.id)).toEqual([]);
    expect(await sessionsOf(existing.id)).toBe(0);
  });

  it("refuses a deactivated user, linked or matched by email (403 ACCOUNT_DISABLED)", async () => {
    const existing = await verifiedUser({ isActive: false });
    const byEmail = await (await startSignIn("google", { claims: person({ email: existing.email }) })).callback();
    await expectError(byEmail, 403, "ACCOUNT_DISABLED");
    expect(await identitiesOf(existing.id)).toEqual([]);

    const who = person();
    await expectSignedIn(await (await startSignIn("google", { claims: who })).callback(), "/");
    const linked = await userByEmail(who.email);
    await env.DB.prepare("UPDATE users SET is_active = 0 WHERE id = ?1").bind(linked?.id).run();
    const again = await (await startSignIn("google", { claims: who })).callback();
    await expectError(again, 403, "ACCOUNT_DISABLED");
    expect(cookieOf(again, "access_token")).toBeUndefined();
    expect(await sessionsOf(linked?.id ?? 0)).toBe(1);
  });
});

describe("GET /auth/oauth/{provider}/callback: state", () => {
  it("refuses a forged state (400 OAUTH_STATE_INVALID)", async () => {
    const flow = await startSignIn("google", { claims: person() });
    const forged = "A".repeat(43);
    await expectError(
      await flow.callback({ state: forged, cookie: await sha256Hex(forged) }),
      400,
      "OAUTH_STATE_INVALID",
    );
    await expectError(await flow.callback({ state: "not-a-state" }), 400, "OAUTH_STATE_INVALID");
  });

  it("refuses the state in another browser (no or another state cookie), and leaves it usable in its own", async () => {
    const who = person();
    const flow = await startSignIn("google", { claims: who });
    await expectError(await flow.callback({ cookie: null }), 400, "OAUTH_STATE_INVALID");
    await expectError(await flow.callback({ cookie: await sha256Hex("other") }), 400, "OAUTH_STATE_INVALID");
    await expectSignedIn(await flow.callback(), "/");
  });

  it("refuses a replayed state (400 OAUTH_STATE_USED), also when the same callback is sent twice at once", async () => {
    const flow = await startSignIn("google", { claims: person() });
    await expectSignedIn(await flow.callback(), "/");
    await expectError(await flow.callback(), 400, "OAUTH_STATE_USED");

    const racing = await startSignIn("oidc", { claims: person() });
    const both = await Promise.all([racing.callback(), racing.callback()]);
    expect(both.map((r) => r.status).sort()).toEqual([303, 400]);
  });

  it("refuses a state older than 10 minutes (400 OAUTH_STATE_EXPIRED)", async () => {
    const clock = manualClock();
    const client = clientAt(clock);
    const flow = await startSignIn("google", { claims: person() }, { client });
    clock.advance(601);
    await expectError(await flow.callback(), 400, "OAUTH_STATE_EXPIRED");
  });

  it("refuses a state started with another provider", async () => {
    const flow = await startSignIn("google", { claims: person() });
    const url = flow.callbackUrl({ code: flow.code, state: flow.state }).replace("/google/", "/oidc/");
    await expectError(
      await call(url, { ...MANUAL, headers: { cookie: `oauth_state=${flow.cookie}` } }),
      400,
      "OAUTH_STATE_INVALID",
    );
  });
});

describe("GET /auth/oauth/{provider}/callback: the provider's answers", () => {
  it.each([
    ["a wrong nonce", { claims: { nonce: "someone-elses-nonce" } }],
    ["a signature by another key", { key: "other" as const }],
    ["another audience", { claims: { aud: "another-client" } }],
    ["another issuer", { claims: { iss: "https://evil.example" } }],
    [
      "an expired token",
      { claims: { iat: Math.floor(Date.now() / 1000) - 900, exp: Math.floor(Date.now() / 1000) - 300 } },
    ],
  ] as [string, ProviderAnswer][])(
    "refuses an ID token with %s (400 OAUTH_ID_TOKEN_INVALID), signing nobody in",
    async (_, answer) => {
      const who = person();
      for (const provider of ["google", "oidc"] as const) {
        const flow = await startSignIn(provider, { ...answer, claims: { ...who, ...answer.claims } });
        const res = await flow.callback();
        await expectError(res, 400, "OAUTH_ID_TOKEN_INVALID");
        expect(cookieOf(res, "access_token")).toBeUndefined();
      }
      expect(await userByEmail(who.email)).toBeNull();
    },
  );

  it("refuses an ID token that the app's clock sees expired", async () => {
    const clock = manualClock();
    const client = clientAt(clock);
    const flow = await startSignIn("oidc", { claims: person() }, { client });
    clock.advance(400); // the fake's tokens live 5 minutes; the state still has 10
    await expectError(await flow.callback(), 400, "OAUTH_ID_TOKEN_INVALID");
  });

  it("answers an issuer that can't be reached with 400 OAUTH_PROVIDER_ERROR, not a 500", async () => {
    const client = clientAt(manualClock(), { OIDC_ISSUER: "https://unreachable-issuer.example.test" });
    const json = await expectError(await client.call(`${OAUTH}/oidc`, MANUAL), 400, "OAUTH_PROVIDER_ERROR");
    expect(json.detail).toContain("discovery document");
  });

  it("answers a refusal by the provider with 400 OAUTH_PROVIDER_ERROR that says so", async () => {
    const flow = await startSignIn("google");
    const res = await flow.callback({ query: { error: "access_denied", state: flow.state } });
    const json = await expectError(res, 400, "OAUTH_PROVIDER_ERROR");
    expect(json.detail).toContain("access_denied");
  });

  it("answers a code the provider refuses with 400 OAUTH_PROVIDER_ERROR", async () => {
    for (const provider of ["google", "github"] as const) {
      const flow = await startSignIn(provider, { claims: person() });
      const res = await flow.callback({ query: { code: "unknown-code", state: flow.state } });
      const json = await expectError(res, 400, "OAUTH_PROVIDER_ERROR");
      expect(json.detail).toContain("invalid_grant");
    }
  });

  it("shows a browser a page that says what failed", async () => {
    const flow = await startSignIn("google", { claims: { nonce: "wrong" } });
    const res = await call(flow.callbackUrl({ code: flow.code, state: flow.state }), {
      ...MANUAL,
      headers: { cookie: `oauth_state=${flow.cookie}`, accept: "text/html,application/xhtml+xml" },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("ID token was refused");
  });
});
