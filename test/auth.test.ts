import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { configOf } from "../src/lib/config";
import { keyRing, signToken } from "../src/lib/jwt";
import { REFRESH_REUSE_GRACE_SECONDS } from "../src/modules/sessions";
import { createUser, tokenFor } from "./factories";
import { body, call, clientAt, env, expectError, manualClock, send, unique } from "./helpers";
import { tokenFromEmail } from "./links";

const PASSWORD = "correct horse battery staple";

/** A registration body for a new account. */
function newAccount() {
  const username = unique("reg");
  return { username, email: `${username}@example.test`, password: PASSWORD, full_name: "Reg User" };
}

async function register(overrides: Record<string, unknown> = {}) {
  const account = { ...newAccount(), ...overrides };
  const res = await send("POST", "/api/v1/auth/register", account);
  return { res, username: account.username as string, json: await body(res) };
}

const setCookies = (res: Response) => res.headers.getSetCookie();
const cookieValue = (res: Response, name: string) =>
  setCookies(res)
    .find((c) => c.startsWith(`${name}=`))
    ?.split(";")[0]
    ?.slice(name.length + 1);

describe("POST /auth/register", () => {
  it("registers a user as EMPLOYEE and answers a token pair", async () => {
    const { res, username, json } = await register();
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(json).toMatchObject({
      token_type: "bearer",
      expires_in: 900,
      message: "User registered successfully",
      user: {
        username,
        email: `${username}@example.test`,
        full_name: "Reg User",
        role: "EMPLOYEE",
        is_active: true,
        is_admin: false,
        auth_provider: "local",
        email_verified: false,
      },
    });
    expect(typeof json.access_token).toBe("string");
    expect(typeof json.refresh_token).toBe("string");
    expect(json.user).not.toHaveProperty("password_hash");
    expect(json.user.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("records user.registered in the outbox", async () => {
    const { username, json } = await register();
    const outbox = await env.DB.prepare(
      "SELECT payload FROM outbox_events WHERE event = 'user.registered' AND json_extract(payload, '$.data.user_id') = ?1",
    )
      .bind(json.user.id)
      .first<{ payload: string }>();
    expect(JSON.parse(outbox?.payload ?? "{}")).toMatchObject({
      event: "user.registered",
      data: { user_id: json.user.id, username },
    });
  });

  it("stores the password as a salted PBKDF2 hash", async () => {
    const { json } = await register();
    const stored = await env.DB.prepare("SELECT password_hash FROM users WHERE id = ?1")
      .bind(json.user.id)
      .first<{ password_hash: string }>();
    expect(stored?.password_hash).toMatch(/^pbkdf2-sha256\$100000\$[\w-]{22}\$[\w-]{43}$/);
  });

  it("sets HttpOnly Secure SameSite=Lax cookies, the refresh cookie on the auth path only", async () => {
    const { res } = await register();
    const cookies = setCookies(res);
    expect(cookies).toHaveLength(2);
    const access = cookies.find((c) => c.startsWith("access_token="));
    const refresh = cookies.find((c) => c.startsWith("refresh_token="));
    expect(access).toMatch(/; Max-Age=900; Path=\/; HttpOnly; Secure; SameSite=Lax/);
    expect(refresh).toMatch(/; Max-Age=604800; Path=\/api\/v1\/auth; HttpOnly; Secure; SameSite=Lax/);
  });

  const userCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM users").first<{ n: number }>())?.n;

  it("answers 409 USERNAME_TAKEN for a taken username, case-insensitively, and writes nothing", async () => {
    const { username } = await register();
    const before = await userCount();
    const dupName = await send("POST", "/api/v1/auth/register", {
      username: username.toUpperCase(),
      email: `${unique()}@example.test`,
      password: PASSWORD,
    });
    expect(dupName.status).toBe(409);
    expect(await body(dupName)).toEqual({
      detail: `Username '${username.toUpperCase()}' is already taken`,
      status: "error",
      code: "USERNAME_TAKEN",
    });
    expect(await userCount()).toBe(before);
  });

  it("answers 409 EMAIL_TAKEN for a taken email, case-insensitively, and writes nothing", async () => {
    const { username } = await register();
    const before = await userCount();
    const dupEmail = await send("POST", "/api/v1/auth/register", {
      username: unique(),
      email: `${username.toUpperCase()}@EXAMPLE.test`,
      password: PASSWORD,
    });
    expect(dupEmail.status).toBe(409);
    expect((await body(dupEmail)).code).toBe("EMAIL_TAKEN");
    expect(await userCount()).toBe(before);
  });

  it("refuses a password shorter than 8 characters with 422", async () => {
    const short = await register({ password: "short1" });
    expect(short.res.status).toBe(422);
    expect(short.json).toEqual({
      detail: [{ loc: ["body", "password"], msg: "Password must have at least 8 characters", type: "too_small" }],
      status: "error",
      code: "VALIDATION_ERROR",
    });
  });

  it("refuses a very common password with 422", async () => {
    const common = await register({ password: "Password123" });
    expect(common.res.status).toBe(422);
    expect(common.json.detail[0]).toMatchObject({ loc: ["body", "password"], type: "value_error.common_password" });
  });

  it("refuses passwords among the 10,000 most common, also with a year or symbols appended (attack: guessing welcome2026)", async () => {
    for (const password of [
      "welcome2026",
      "Welcome2026!",
      "sunshine123",
      "qwertyuiop",
      "Iloveyou!!",
      "princess1",
      "jordan23!",
    ]) {
      const { res, json } = await register({ password });
      expect({ password, status: res.status }).toEqual({ password, status: 422 });
      expect(json.detail[0]).toMatchObject({ loc: ["body", "password"], type: "value_error.common_password" });
    }
  });

  it("accepts a strong password", async () => {
    for (const password of ["plinth-Oxbow-quartz-47", "Tq8#vLm2!xR9", "correct horse battery staple"]) {
      expect((await register({ password })).res.status).toBe(201);
    }
  });

  it("refuses the account's username, email or email local part as its password (attack: guessing the name)", async () => {
    const username = unique("ctx");
    const email = `Jane.Q.Doe${username}@example.test`;
    for (const password of [
      username,
      username.toUpperCase(),
      `${username}2026`,
      email,
      `jane.q.doe${username}`,
      `Jane.Q.Doe${username}!`,
    ]) {
      const { res, json } = await register({ username, email, password });
      expect({ password, status: res.status }).toEqual({ password, status: 422 });
      expect(json.detail[0]).toMatchObject({ loc: ["body", "password"], type: "value_error.common_password" });
    }
  });

  it("refuses an over-long password with 422", async () => {
    const long = await register({ password: "x".repeat(257) });
    expect(long.res.status).toBe(422);
    expect(long.json.detail[0].loc).toEqual(["body", "password"]);
  });

  it("keeps passwords whole: a password differing only after 72 characters does not match", async () => {
    const base = "a-very-long-passphrase-".repeat(4);
    const { username } = await register({ password: `${base}X` });
    const wrong = await send("POST", "/api/v1/auth/login", { username, password: `${base}Y` });
    expect(wrong.status).toBe(401);
  });

  it("answers 422 with loc/msg/type for invalid fields and unknown fields", async () => {
    const res = await send("POST", "/api/v1/auth/register", {
      username: "x",
      email: "not-an-email",
      password: PASSWORD,
      role: "ADMIN",
    });
    expect(res.status).toBe(422);
    const json = await body(res);
    expect(json.code).toBe("VALIDATION_ERROR");
    const locs = json.detail.map((d: { loc: string[] }) => d.loc.join("."));
    expect(locs).toEqual(expect.arrayContaining(["body.username", "body.email"]));
    expect(json.detail).toContainEqual({ loc: ["body", "role"], msg: "Unknown field", type: "unrecognized_keys" });
  });

  it("refuses organization_ids of organizations outside the email's domain", async () => {
    const org = await env.DB.prepare(
      "INSERT INTO organizations (name, domain) VALUES (?1, 'corp.example') RETURNING id",
    )
      .bind(unique("org"))
      .first<{ id: number }>();
    const outside = await register({ organization_ids: [org?.id] });
    expect(outside.res.status).toBe(422);
    expect(outside.json.detail[0].loc).toEqual(["body", "organization_ids"]);
  });

  it("accepts organization_ids of an organization in the email's domain", async () => {
    const org = await env.DB.prepare(
      "INSERT INTO organizations (name, domain) VALUES (?1, 'corp.example') RETURNING id",
    )
      .bind(unique("org"))
      .first<{ id: number }>();
    const name = unique("corp");
    const inside = await register({ username: name, email: `${name}@corp.example`, organization_ids: [org?.id] });
    expect(inside.res.status).toBe(201);
  });

  it("does not join an organization by an unverified email's domain (attack: registering x@victimcorp.example)", async () => {
    const org = await env.DB.prepare(
      "INSERT INTO organizations (name, domain) VALUES (?1, 'victimcorp.example') RETURNING id",
    )
      .bind(unique("org"))
      .first<{ id: number }>();
    const name = unique("intruder");
    const { json } = await register({
      username: name,
      email: `${name}@victimcorp.example`,
      organization_ids: [org?.id],
    });
    expect(json.user.organization_ids).toEqual([]);
    const member = await env.DB.prepare("SELECT 1 FROM organization_members WHERE user_id = ?1")
      .bind(json.user.id)
      .first();
    expect(member).toBeNull();
  });

  it("joins the organization of its email's domain once the email is verified", async () => {
    const org = await env.DB.prepare(
      "INSERT INTO organizations (name, domain) VALUES (?1, 'corp.example') RETURNING id",
    )
      .bind(unique("org"))
      .first<{ id: number }>();
    const name = unique("corp");
    const { json } = await register({ username: name, email: `${name}@corp.example`, organization_ids: [org?.id] });
    const token = await tokenFromEmail(`${name}@corp.example`, "email_verification");
    expect((await send("POST", "/api/v1/auth/verify-email/confirm", { token })).status).toBe(200);
    const me = await body(await send("GET", "/api/v1/auth/me", undefined, json.access_token));
    expect(me.user).toMatchObject({ email_verified: true, organization_ids: [org?.id] });
  });
});

describe("POST /auth/login", () => {
  it("signs in by username", async () => {
    const { username } = await register();
    const byName = await send("POST", "/api/v1/auth/login", { username, password: PASSWORD });
    expect(byName.status).toBe(200);
    expect(await body(byName)).toMatchObject({ message: "Login successful", user: { username } });
  });

  it("signs in by email", async () => {
    const { username } = await register();
    const byEmail = await send("POST", "/api/v1/auth/login", { email: `${username}@example.test`, password: PASSWORD });
    expect(byEmail.status).toBe(200);
  });

  it("records the sign-in time in last_login", async () => {
    const { username } = await register();
    await send("POST", "/api/v1/auth/login", { username, password: PASSWORD });
    const last = await env.DB.prepare("SELECT last_login FROM users WHERE username = ?1")
      .bind(username)
      .first<{ last_login: string }>();
    expect(last?.last_login).toMatch(/Z$/);
  });

  it("answers the same 401 for a wrong password and an unknown user", async () => {
    const { username } = await register();
    const wrong = await send("POST", "/api/v1/auth/login", { username, password: "wrong password!" });
    const unknown = await send("POST", "/api/v1/auth/login", {
      username: unique("ghost"),
      password: "wrong password!",
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const a = await body(wrong);
    expect(a).toEqual({ detail: "Invalid credentials", status: "error", code: "INVALID_CREDENTIALS" });
    expect(await body(unknown)).toEqual(a);
  });

  it("answers 403 for a deactivated account with the right password", async () => {
    const { username, json } = await register();
    await env.DB.prepare("UPDATE users SET is_active = 0 WHERE id = ?1").bind(json.user.id).run();
    const res = await send("POST", "/api/v1/auth/login", { username, password: PASSWORD });
    expect(res.status).toBe(403);
    expect(await body(res)).toEqual({ detail: "User account deactivated", status: "error", code: "ACCOUNT_DISABLED" });
  });

  it("locks an account for the network that failed repeatedly, with 429 and Retry-After", async () => {
    const { username } = await register();
    for (let i = 0; i < 5; i++) {
      const res = await send("POST", "/api/v1/auth/login", { username, password: `bad-${i}-password` }, undefined, {
        "CF-Connecting-IP": "203.0.113.9",
      });
      expect(res.status).toBe(401);
    }
    const locked = await send("POST", "/api/v1/auth/login", { username, password: PASSWORD }, undefined, {
      "CF-Connecting-IP": "203.0.113.9",
    });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await body(locked)).code).toBe("ACCOUNT_LOCKED");
    const failures = await env.DB.prepare(
      "SELECT count(*) AS n FROM auth_events e JOIN users u ON u.id = e.user_id WHERE u.username = ?1 AND e.event = 'login_failed'",
    )
      .bind(username)
      .first<{ n: number }>();
    expect(failures?.n).toBe(5);
  });

  it("requires exactly one of username and email", async () => {
    const res = await send("POST", "/api/v1/auth/login", { password: PASSWORD });
    expect(res.status).toBe(422);
    expect((await body(res)).detail[0]).toMatchObject({
      loc: ["body", "username"],
      msg: "Give either username or email",
    });
  });

  it("creates the first admin from ADMIN_EMAIL / ADMIN_PASSWORD", async () => {
    const res = await send("POST", "/api/v1/auth/login", {
      email: "admin@example.test",
      password: "Admin-Password-For-Tests-1",
    });
    expect(res.status).toBe(200);
    expect((await body(res)).user).toMatchObject({ role: "ADMIN", is_admin: true, email_verified: true });
    const admins = await env.DB.prepare(
      "SELECT count(*) AS n FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE r.name = 'ADMIN'",
    ).first<{ n: number }>();
    expect(admins?.n).toBeGreaterThanOrEqual(1);
  });
});

describe("access tokens", () => {
  const me = (token: string) => send("GET", "/api/v1/auth/me", undefined, token);

  it.each(["/api/v1/auth/me", "/api/v1/users/me"])("serves %s to a bearer token", async (path) => {
    const { json, username } = await register();
    const res = await send("GET", path, undefined, json.access_token);
    expect(res.status).toBe(200);
    expect(await body(res)).toMatchObject({ user: { username }, message: "User information retrieved successfully" });
  });

  it("authenticates with the access_token cookie", async () => {
    const { res } = await register();
    const cookie = `access_token=${cookieValue(res, "access_token")}`;
    const ok = await call("/api/v1/auth/me", { headers: { Cookie: cookie } });
    expect(ok.status).toBe(200);
  });

  it("answers 401 without credentials", async () => {
    const res = await call("/api/v1/auth/me");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
    expect(await body(res)).toEqual({ detail: "Not authenticated", status: "error", code: "UNAUTHORIZED" });
  });

  it("refuses a token in the query string", async () => {
    const { json } = await register();
    const res = await call(`/api/v1/auth/me?access_token=${json.access_token}`);
    expect(res.status).toBe(401);
    expect((await body(res)).code).toBe("INVALID_TOKEN");
    // Also beside a valid bearer token, and with the parameter's name percent-encoded.
    for (const query of [`x=1&refresh_token=${json.refresh_token}`, `access%5Ftoken=${json.access_token}`]) {
      const both = await send("GET", `/api/v1/auth/me?${query}`, undefined, json.access_token);
      expect(both.status).toBe(401);
      expect((await body(both)).code).toBe("INVALID_TOKEN");
    }
  });

  /** A valid access token and tokens that are each wrong in one way, for one user with a live session. */
  async function accessTokens() {
    const user = await createUser();
    const good = await tokenFor(user.id);
    const ring = await keyRing(env.JWT_PRIVATE_KEY, env.JWT_PREVIOUS_PUBLIC_KEY, configOf(env).jwt);
    const sid = crypto.randomUUID();
    await env.DB.prepare("INSERT INTO sessions (id, user_id, expires_at) VALUES (?1, ?2, '2999-01-01T00:00:00.000Z')")
      .bind(sid, user.id)
      .run();
    const now = Math.floor(Date.now() / 1000);
    const [head, payload, sig] = good.split(".");
    const forged = JSON.parse(atob((payload ?? "").replace(/-/g, "+").replace(/_/g, "/")));
    const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const tampered = `${head}.${b64({ ...forged, sub: "1" })}.${sig}`;
    const expired = (await signToken(ring, "access", { sub: String(user.id), sid }, 60, now - 3600)).token;
    const notYet = (await signToken(ring, "access", { sub: String(user.id), sid }, 900, now + 3600)).token;
    const refresh = (await signToken(ring, "refresh", { sub: String(user.id), sid }, 900, now)).token;
    const wrongAud = await new SignJWT({ sid, token_use: "access" })
      .setProtectedHeader({ alg: "ES256", kid: ring.kid, typ: "at+jwt" })
      .setSubject(String(user.id))
      .setJti("x")
      .setIssuer("identity-training-api")
      .setAudience("another-service")
      .setIssuedAt()
      .setNotBefore(now)
      .setExpirationTime(now + 900)
      .sign(ring.privateKey);
    const none = `${b64({ alg: "none", typ: "at+jwt" })}.${payload}.`;
    const hs256 = await new SignJWT({ sid, token_use: "access" })
      .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
      .setSubject(String(user.id))
      .setJti("y")
      .setIssuer("identity-training-api")
      .setAudience("identity-training-api")
      .setIssuedAt()
      .setNotBefore(now)
      .setExpirationTime(now + 900)
      .sign(new TextEncoder().encode("a-guessable-shared-secret-000000"));
    // Signed with the real key, but naming a key the ring doesn't have, or none.
    const ownKeyOtherKid = async (kid: string | undefined) =>
      new SignJWT({ sid, token_use: "access" })
        .setProtectedHeader({ alg: "ES256", typ: "at+jwt", ...(kid ? { kid } : {}) })
        .setSubject(String(user.id))
        .setJti("z")
        .setIssuer("identity-training-api")
        .setAudience("identity-training-api")
        .setIssuedAt()
        .setNotBefore(now)
        .setExpirationTime(now + 900)
        .sign(ring.privateKey);
    const unknownKid = await ownKeyOtherKid("not-a-key-of-ours");
    const noKid = await ownKeyOtherKid(undefined);
    return { good, expired, tampered, notYet, refresh, wrongAud, none, hs256, unknownKid, noKid };
  }

  it("accepts a valid access token", async () => {
    const { good } = await accessTokens();
    expect((await me(good)).status).toBe(200);
  });

  it("refuses an expired token with 401 TOKEN_EXPIRED", async () => {
    const { expired } = await accessTokens();
    const expiredRes = await me(expired);
    expect(expiredRes.status).toBe(401);
    expect((await body(expiredRes)).code).toBe("TOKEN_EXPIRED");
  });

  it.each([
    ["a tampered", "tampered"],
    ["a not-yet-valid", "notYet"],
    ["a refresh (wrong-type)", "refresh"],
    ["a wrong-audience", "wrongAud"],
    ["an alg none", "none"],
    ["an HS256-signed", "hs256"],
    ["an unknown-kid", "unknownKid"],
    ["a kid-less", "noKid"],
    ["a malformed", "malformed"],
  ] as const)("refuses %s token with 401 INVALID_TOKEN", async (_, kind) => {
    const tokens = await accessTokens();
    const bad = kind === "malformed" ? "not.a.jwt" : tokens[kind];
    const res = await me(bad);
    expect(res.status).toBe(401);
    expect(await body(res)).toEqual({ detail: "Invalid token", status: "error", code: "INVALID_TOKEN" });
  });

  it("publishes the current and the previous public key, without private parts, at /.well-known/jwks.json", async () => {
    const res = await call("/.well-known/jwks.json");
    expect(res.status).toBe(200);
    const jwks = await body(res);
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual(["test-current", "test-previous"]);
    for (const k of jwks.keys) {
      expect(k).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
      expect(k).not.toHaveProperty("d");
    }
  });

  it("refuses a deactivated user's token on the next request", async () => {
    const user = await createUser();
    const token = await tokenFor(user.id);
    expect((await me(token)).status).toBe(200);
    await env.DB.prepare("UPDATE users SET is_active = 0 WHERE id = ?1").bind(user.id).run();
    const res = await me(token);
    expect(res.status).toBe(401);
    expect((await body(res)).code).toBe("ACCOUNT_DISABLED");
  });
});

describe("refresh tokens", () => {
  const refresh = (token: string) => send("POST", "/api/v1/auth/refresh", { refresh_token: token });

  it("rotates: a new pair for the same session", async () => {
    const { json } = await register();
    const res = await refresh(json.refresh_token);
    expect(res.status).toBe(200);
    const next = await body(res);
    expect(next.refresh_token).not.toBe(json.refresh_token);
    expect(next.message).toBe("Token refreshed successfully");
    expect((await send("GET", "/api/v1/auth/me", undefined, next.access_token)).status).toBe(200);
  });

  it("refuses a used-up refresh token with 401 REFRESH_TOKEN_REUSED", async () => {
    const { json } = await register();
    await refresh(json.refresh_token);
    const again = await refresh(json.refresh_token);
    expect(again.status).toBe(401);
    expect((await body(again)).code).toBe("REFRESH_TOKEN_REUSED");
  });

  it("keeps the session when a used-up refresh token is replayed within the grace period", async () => {
    const { json } = await register();
    const next = await body(await refresh(json.refresh_token));
    await refresh(json.refresh_token);
    expect((await refresh(next.refresh_token)).status).toBe(200);
  });

  it("accepts the refresh token from the cookie", async () => {
    const { res, json } = await register();
    const viaCookie = await call("/api/v1/auth/refresh", {
      method: "POST",
      headers: { Cookie: `refresh_token=${cookieValue(res, "refresh_token")}` },
    });
    expect(viaCookie.status).toBe(200);
    const second = await body(viaCookie);
    expect(json.refresh_token).not.toBe(second.refresh_token);
  });

  it("accepts the refresh token from Authorization: Bearer", async () => {
    const { json } = await register();
    const viaHeader = await call("/api/v1/auth/refresh", {
      method: "POST",
      headers: { Authorization: `Bearer ${json.refresh_token}` },
    });
    expect(viaHeader.status).toBe(200);
  });

  it("revokes the whole family when a rotated token is replayed after the grace period", async () => {
    const clock = manualClock();
    const client = clientAt(clock);
    const refreshAt = (token: string) => client.send("POST", "/api/v1/auth/refresh", { refresh_token: token });
    const json = await body(await client.send("POST", "/api/v1/auth/register", newAccount()));
    const next = await body(await refreshAt(json.refresh_token));
    clock.advance(REFRESH_REUSE_GRACE_SECONDS + 5);
    const replay = await refreshAt(json.refresh_token);
    expect(replay.status).toBe(401);
    expect(await body(replay)).toEqual({
      detail: "Refresh token was already used; the session has been revoked",
      status: "error",
      code: "REFRESH_TOKEN_REUSED",
    });
    // Every member of the family is dead now, access tokens included.
    expect((await refreshAt(next.refresh_token)).status).toBe(401);
    expect((await client.send("GET", "/api/v1/auth/me", undefined, next.access_token)).status).toBe(401);
    const audit = await env.DB.prepare(
      "SELECT count(*) AS n FROM auth_events WHERE event = 'refresh_reuse_detected' AND user_id = ?1",
    )
      .bind(json.user.id)
      .first<{ n: number }>();
    expect(audit?.n).toBe(1);
  });

  it("lets only one of two concurrent refreshes with the same token rotate it", async () => {
    const { json } = await register();
    const results = await Promise.all([
      refresh(json.refresh_token),
      refresh(json.refresh_token),
      refresh(json.refresh_token),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401]);
    const rows = await env.DB.prepare(
      "SELECT count(*) AS n FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE s.user_id = ?1",
    )
      .bind(json.user.id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(2);
  });

  it("refuses an access token presented as a refresh token", async () => {
    const { json } = await register();
    const res = await refresh(json.access_token);
    expect(res.status).toBe(401);
    expect((await body(res)).code).toBe("INVALID_TOKEN");
  });

  it.each([
    ["a forged", (t: string) => `${t.slice(0, -4)}AAAA`],
    ["a garbage", () => "not.a.jwt"],
    ["an access token as a", (_: string, access: string) => access],
  ] as const)("answers %s refresh token with KC7's 'Invalid refresh token' (401 INVALID_TOKEN)", async (_, bad) => {
    const { json } = await register();
    const res = await refresh(bad(json.refresh_token, json.access_token));
    expect(res.status).toBe(401);
    expect(await body(res)).toEqual({ detail: "Invalid refresh token", status: "error", code: "INVALID_TOKEN" });
  });

  it("answers an expired refresh token with 'Invalid refresh token' (401 TOKEN_EXPIRED)", async () => {
    const clock = manualClock();
    const client = clientAt(clock);
    const json = await body(await client.send("POST", "/api/v1/auth/register", newAccount()));
    clock.advance(8 * 24 * 3600);
    const res = await client.send("POST", "/api/v1/auth/refresh", { refresh_token: json.refresh_token });
    expect(res.status).toBe(401);
    expect(await body(res)).toEqual({ detail: "Invalid refresh token", status: "error", code: "TOKEN_EXPIRED" });
  });
});

describe("logout and password change", () => {
  it("logout revokes the session's refresh family and clears the cookies", async () => {
    const { json } = await register();
    const res = await send("POST", "/api/v1/auth/logout", undefined, json.access_token);
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({ message: "Logged out successfully" });
    const cleared = res.headers.getSetCookie();
    expect(cleared.some((c) => c.startsWith("access_token=;") && c.includes("Max-Age=0"))).toBe(true);
    expect(cleared.some((c) => c.startsWith("refresh_token=;") && c.includes("Path=/api/v1/auth"))).toBe(true);
    expect((await send("GET", "/api/v1/auth/me", undefined, json.access_token)).status).toBe(401);
    expect((await send("POST", "/api/v1/auth/refresh", { refresh_token: json.refresh_token })).status).toBe(401);
  });

  it("logout works with only the refresh token", async () => {
    const { json } = await register();
    const res = await send("POST", "/api/v1/auth/logout", { refresh_token: json.refresh_token });
    expect(res.status).toBe(200);
    expect((await send("POST", "/api/v1/auth/refresh", { refresh_token: json.refresh_token })).status).toBe(401);
  });

  it("logout answers 401 without any token", async () => {
    const none = await send("POST", "/api/v1/auth/logout");
    expect(none.status).toBe(401);
  });

  it("change-password keeps the caller's session and ends every other one", async () => {
    const { json, username } = await register();
    const other = await body(await send("POST", "/api/v1/auth/login", { username, password: PASSWORD }));
    const res = await send(
      "POST",
      "/api/v1/auth/change-password",
      { current_password: PASSWORD, new_password: "a brand new passphrase" },
      json.access_token,
    );
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({ message: "Password changed successfully" });
    expect((await send("GET", "/api/v1/auth/me", undefined, json.access_token)).status).toBe(200);
    expect((await send("GET", "/api/v1/auth/me", undefined, other.access_token)).status).toBe(401);
    expect((await send("POST", "/api/v1/auth/refresh", { refresh_token: other.refresh_token })).status).toBe(401);
    expect((await send("POST", "/api/v1/auth/login", { username, password: PASSWORD })).status).toBe(401);
    expect((await send("POST", "/api/v1/auth/login", { username, password: "a brand new passphrase" })).status).toBe(
      200,
    );
  });

  it("change-password answers 400 INVALID_CURRENT_PASSWORD for a wrong current password", async () => {
    const { json } = await register();
    const wrong = await send(
      "POST",
      "/api/v1/auth/change-password",
      { current_password: "not my password", new_password: "a brand new passphrase" },
      json.access_token,
    );
    expect(wrong.status).toBe(400);
    expect(await body(wrong)).toEqual({
      detail: "Current password incorrect",
      status: "error",
      code: "INVALID_CURRENT_PASSWORD",
    });
  });

  it("change-password refuses a weak new password with 422", async () => {
    const { json } = await register();
    const weak = await send(
      "POST",
      "/api/v1/auth/change-password",
      { current_password: PASSWORD, new_password: "password1" },
      json.access_token,
    );
    expect(weak.status).toBe(422);
    expect((await body(weak)).detail[0].loc).toEqual(["body", "new_password"]);
  });

  /** A cookie-authenticated change-password request sent from `origin`. */
  async function cookiePostFrom(origin: string) {
    const { res } = await register();
    const cookie = `access_token=${cookieValue(res, "access_token")}`;
    return call("/api/v1/auth/change-password", {
      method: "POST",
      headers: { Cookie: cookie, Origin: origin, "Content-Type": "application/json" },
      body: JSON.stringify({ current_password: PASSWORD, new_password: "another good passphrase" }),
    });
  }

  it("refuses a cookie-authenticated POST from another site (403 CSRF_ORIGIN_REJECTED)", async () => {
    const evil = await cookiePostFrom("https://evil.example");
    expect(evil.status).toBe(403);
    expect(await body(evil)).toEqual({
      detail: "Cross-site request refused",
      status: "error",
      code: "CSRF_ORIGIN_REJECTED",
    });
  });

  it("allows a cookie-authenticated POST from an allowed origin", async () => {
    const ok = await cookiePostFrom("https://app.example.test");
    expect(ok.status).toBe(200);
  });
});

describe("time, moved by the app's clock", () => {
  it("refuses an access token once its lifetime has passed (401 TOKEN_EXPIRED)", async () => {
    const clock = manualClock();
    const client = clientAt(clock);
    const json = await body(await client.send("POST", "/api/v1/auth/register", newAccount()));
    expect((await client.send("GET", "/api/v1/auth/me", undefined, json.access_token)).status).toBe(200);
    clock.advance(json.expires_in + 10);
    await expectError(await client.send("GET", "/api/v1/auth/me", undefined, json.access_token), 401, "TOKEN_EXPIRED");
  });

  it("lets a refresh token presented again within the grace period fail without revoking the session", async () => {
    const clock = manualClock();
    const client = clientAt(clock);
    const json = await body(await client.send("POST", "/api/v1/auth/register", newAccount()));
    const next = await body(await client.send("POST", "/api/v1/auth/refresh", { refresh_token: json.refresh_token }));
    clock.advance(REFRESH_REUSE_GRACE_SECONDS - 1);
    const again = await client.send("POST", "/api/v1/auth/refresh", { refresh_token: json.refresh_token });
    expect(await body(again)).toMatchObject({ code: "REFRESH_TOKEN_REUSED", detail: "Refresh token was already used" });
    expect((await client.send("GET", "/api/v1/auth/me", undefined, next.access_token)).status).toBe(200);
  });

  it("lifts the login lock once its time has passed", async () => {
    const clock = manualClock();
    const client = clientAt(clock);
    const account = newAccount();
    await client.send("POST", "/api/v1/auth/register", account);
    const login = (password: string) =>
      client.send("POST", "/api/v1/auth/login", { username: account.username, password });
    for (let i = 0; i < 6; i++) await login("wrong-password-1");
    await expectError(await login(account.password), 429, "ACCOUNT_LOCKED");
    clock.advance(15 * 60 + 1);
    expect((await login(account.password)).status).toBe(200);
  });
});
