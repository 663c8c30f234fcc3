import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { base32Decode, hotp, totpStep } from "../src/lib/totp";
import { createUser, signedIn } from "./factories";
import { countingDb, env } from "./helpers";
import { tokenFromEmail } from "./links";

describe("D1 round trips", () => {
  it("a token without its authorization (`az`, older tokens) costs one round trip for it plus one for the data", async () => {
    const { token } = await signedIn("EMPLOYEE");
    // Warm the isolate (admin bootstrap runs once per isolate).
    await app.request("/api/v1/hello", {}, env);
    const { db, counter } = countingDb(env.DB);
    const res = await app.request(
      "/api/v1/auth/me",
      { headers: { Authorization: `Bearer ${token}` } },
      { ...env, DB: db },
    );
    expect(res.status).toBe(200);
    expect(counter.trips).toBe(2);
  });

  it("refuses a bad token without touching D1", async () => {
    await app.request("/api/v1/hello", {}, env);
    const { db, counter } = countingDb(env.DB);
    const res = await app.request(
      "/api/v1/auth/me",
      { headers: { Authorization: "Bearer not.a.token" } },
      { ...env, DB: db },
    );
    expect(res.status).toBe(401);
    expect(counter.trips).toBe(0);
  });
});

/** The bootstrap ADMIN signed in through the API: a real access token, carrying its authorization. */
async function adminToken(): Promise<string> {
  const res = await app.request(
    "/api/v1/auth/login",
    {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD }),
    },
    env,
  );
  return (await res.json<{ access_token: string }>()).access_token;
}

/**
 * Round trips of every authenticated read, as the README's table states them: one each, the token
 * check riding with the route's first statements (and a route that must judge the caller against
 * what it reads, `GET /users/{id}/sessions`, reads it all in that trip and answers after judging).
 */
describe("D1 round trips of every authenticated read", async () => {
  const doc = await (await app.request("/openapi.json", {}, env)).json<{
    paths: Record<string, Record<string, { security?: unknown }>>;
  }>();
  const reads = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([method, op]) => method === "get" && op.security !== undefined)
      .map(([, _op]) => path),
  );
  const concrete = (template: string) =>
    template
      .replace("{username}", "admin")
      .replace("{email}", "admin@example.test")
      .replace("{session_id}", "00000000-0000-4000-8000-000000000000")
      .replace(/\{(id|user_id|module_id|delivery_id)\}/g, "1");

  it.each(reads)("GET %s", async (path) => {
    const token = await adminToken();
    await app.request("/api/v1/hello", {}, env);
    const { db, counter } = countingDb(env.DB);
    const res = await app.request(
      concrete(path),
      { headers: { Authorization: `Bearer ${token}` } },
      { ...env, DB: db },
    );
    expect(res.status, `${path}: ${res.status}`).toBeLessThan(500);
    console.log(`round-trips | GET ${path} | ${res.status} | ${counter.trips}`);
    expect(counter.trips).toBe(1);
  });
});

describe("D1 round trips of signing in", () => {
  it("POST /auth/login: one batch that reads the account's credentials and reserves the failed attempt, then one that opens the session and reads what the answer and the token carry", async () => {
    await app.request("/api/v1/hello", {}, env);
    const { db, counter } = countingDb(env.DB);
    const res = await app.request(
      "/api/v1/auth/login",
      {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD }),
      },
      { ...env, DB: db },
    );
    expect(res.status).toBe(200);
    const json = await res.json<{ user: { email: string; last_login: string | null }; access_token: string }>();
    expect(json.user.email).toBe(env.ADMIN_EMAIL);
    expect(json.user.last_login).not.toBeNull();
    expect(counter.trips).toBe(2);
    // The token carries the authorization read in that batch: /auth/me takes it in one round trip.
    const me = countingDb(env.DB);
    const meRes = await app.request(
      "/api/v1/auth/me",
      { headers: { Authorization: `Bearer ${json.access_token}` } },
      { ...env, DB: me.db },
    );
    expect(meRes.status).toBe(200);
    expect(me.counter.trips).toBe(1);
  });
});

describe("D1 round trips of the other sign-in steps", () => {
  const post = (path: string, json: unknown, bindings: typeof env, token?: string) =>
    app.request(
      path,
      {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(json),
      },
      bindings,
    );

  it("POST /auth/magic-link/verify: the account, then one batch that uses the token up and opens the session", async () => {
    const user = await createUser();
    expect((await post("/api/v1/auth/magic-link", { email: user.email }, env)).status).toBe(202);
    const token = await tokenFromEmail(user.email, "magic_link");
    const { db, counter } = countingDb(env.DB);
    const res = await post("/api/v1/auth/magic-link/verify", { token }, { ...env, DB: db });
    expect(res.status).toBe(200);
    expect(counter.trips).toBe(2);
  });

  it("POST /auth/mfa/verify: one batch that reads the account and its factor and reserves the attempt, then one that spends the code and opens the session", async () => {
    const name = `trips${crypto.randomUUID().slice(0, 8)}`;
    const password = "a long enough passphrase";
    const reg = await post("/api/v1/auth/register", { username: name, email: `${name}@example.test`, password }, env);
    const { access_token } = await reg.json<{ access_token: string }>();
    const setup = await post("/api/v1/auth/mfa/totp/setup", {}, env, access_token);
    const secret = base32Decode((await setup.json<{ secret: string }>()).secret);
    const step = totpStep(Date.now());
    const enable = await post("/api/v1/auth/mfa/totp/enable", { code: await hotp(secret, step) }, env, access_token);
    expect(enable.status).toBe(200);
    const login = await post("/api/v1/auth/login", { username: name, password }, env);
    const { mfa_token } = await login.json<{ mfa_token: string }>();
    const { db, counter } = countingDb(env.DB);
    // The step after the enabling one (one step of skew is accepted).
    const res = await post(
      "/api/v1/auth/mfa/verify",
      { mfa_token, code: await hotp(secret, step + 1) },
      { ...env, DB: db },
    );
    expect(res.status).toBe(200);
    expect(counter.trips).toBe(2);
  });
});

describe("D1 round trips of registering", () => {
  it("POST /auth/register: one batch that creates the user, opens its session and reads what the answer shows and its token carries", async () => {
    await app.request("/api/v1/hello", {}, env);
    const { db, counter } = countingDb(env.DB);
    const name = `trips${crypto.randomUUID().slice(0, 8)}`;
    const res = await app.request(
      "/api/v1/auth/register",
      {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: name, email: `${name}@example.test`, password: "a long enough passphrase" }),
      },
      { ...env, DB: db },
    );
    expect(res.status).toBe(201);
    expect(counter.trips).toBe(1);
    const { access_token, refresh_token, user } = await res.json<{
      access_token: string;
      refresh_token: string;
      user: { username: string };
    }>();
    expect(user.username).toBe(name);
    // Refresh: one batch that rotates the token and reads the user view and what the new token carries.
    const refresh = countingDb(env.DB);
    const refreshed = await app.request(
      "/api/v1/auth/refresh",
      { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh_token }) },
      { ...env, DB: refresh.db },
    );
    expect(refreshed.status).toBe(200);
    expect((await refreshed.json<{ user: { username: string } }>()).user.username).toBe(name);
    expect(refresh.counter.trips).toBe(1);
    const me = countingDb(env.DB);
    const meRes = await app.request(
      "/api/v1/auth/me",
      { headers: { Authorization: `Bearer ${access_token}` } },
      { ...env, DB: me.db },
    );
    expect(meRes.status).toBe(200);
    expect(JSON.stringify(await meRes.json())).toContain(`"role":"EMPLOYEE"`);
    expect(me.counter.trips).toBe(1);
  });
});

describe("D1 round trips of chat", () => {
  it("POST /chat/send costs authentication, the data it reads and one batch that stores both messages", async () => {
    const { token } = await signedIn("EMPLOYEE");
    await app.request("/api/v1/hello", {}, env);
    const trips = async (message: string, conversationId?: number) => {
      const { db, counter } = countingDb(env.DB);
      const res = await app.request(
        "/api/v1/chat/send",
        {
          method: "POST",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: JSON.stringify({ message, conversation_id: conversationId }),
        },
        { ...env, DB: db },
      );
      expect(res.status).toBe(200);
      return {
        trips: counter.trips,
        id: ((await res.json()) as { data: { conversation_id: number } }).data.conversation_id,
      };
    };
    // (This test token carries no authorization: one trip reads it.) Help reads nothing; the catalog
    // is one batch; a known conversation adds nothing: the storing batch checks its owner.
    const first = await trips("hello");
    expect(first.trips).toBe(2);
    expect((await trips("Which trainings have free seats?")).trips).toBe(3);
    expect((await trips("hello", first.id)).trips).toBe(2);
  });
});
