import { describe, expect, it } from "vitest";
import { sha256Hex } from "../src/lib/encoding";
import { fixtureAdmin } from "./access-fixtures";
import { createUser } from "./factories";
import { body, call, clientAt, env, expectError, manualClock, send, unique } from "./helpers";
import { emailsTo, formPost, tokenFromEmail } from "./links";

const MAGIC = "/api/v1/auth/magic-link";
const VERIFY = `${MAGIC}/verify`;

/** A passwordless user (as KC7's `POST /users {username, email}` makes) who asked for a magic link. */
async function userWithLink(next?: string) {
  const user = await createUser();
  const res = await send("POST", MAGIC, next === undefined ? { email: user.email } : { email: user.email, next });
  expect(res.status).toBe(202);
  return { user, token: await tokenFromEmail(user.email, "magic_link") };
}

const verify = (token: string) => send("POST", VERIFY, { token });

describe("POST /auth/magic-link", () => {
  it("answers the same 202 body for a known and an unknown address, and emails only the known one", async () => {
    const user = await createUser();
    const stranger = `${unique("nobody")}@example.test`;
    const known = await send("POST", MAGIC, { email: user.email });
    const unknown = await send("POST", MAGIC, { email: stranger });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(await body(unknown)).toEqual(await body(known));
    expect(await emailsTo(user.email)).toHaveLength(1);
    expect(await emailsTo(stranger)).toHaveLength(0);
    const audited = await env.DB.prepare(
      "SELECT detail FROM auth_events WHERE event = 'magic_link_requested' AND user_id IS NULL ORDER BY id DESC LIMIT 1",
    ).first<{ detail: string }>();
    expect(audited?.detail).toBe("no account");
  });

  it("sends nothing to a deactivated user, with the same answer", async () => {
    const user = await createUser({ isActive: false });
    const res = await send("POST", MAGIC, { email: user.email });
    expect(res.status).toBe(202);
    expect(await emailsTo(user.email)).toHaveLength(0);
  });

  it("stores only a hash of the token, in TOKENS_KV", async () => {
    const { token } = await userWithLink();
    expect(await env.TOKENS_KV.get(`token:${token}`)).toBeNull();
    const record = await env.TOKENS_KV.get(`token:${await sha256Hex(token)}`, "json");
    expect(record).toMatchObject({ kind: "magic_link" });
    expect(JSON.stringify(record)).not.toContain(token);
  });

  it("refuses an oversized email (422)", async () => {
    const res = await send("POST", MAGIC, { email: `${"a".repeat(250)}@example.test` });
    await expectError(res, 422, "VALIDATION_ERROR");
  });

  it.each([
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "evil.example",
    "/%2F%2Fevil.example",
    "/%2fevil.example",
    "/%5Cevil.example",
    "/%252F%252Fevil.example",
    "/%09/evil.example",
    `/${"a".repeat(600)}`,
  ])("refuses next=%s (only a relative path of this site)", async (next) => {
    const res = await send("POST", MAGIC, { email: "someone@example.test", next });
    const json = await expectError(res, 422, "VALIDATION_ERROR");
    expect(json.detail[0].loc).toEqual(["body", "next"]);
  });

  it("limits requests per address: the 6th within 15 minutes is 429 with Retry-After", async () => {
    const email = `${unique("flood")}@example.test`;
    for (let i = 0; i < 5; i++) expect((await send("POST", MAGIC, { email })).status).toBe(202);
    const res = await send("POST", MAGIC, { email });
    await expectError(res, 429, "RATE_LIMITED");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("limits requests per client IP: the 21st within 15 minutes is 429, whatever the address", async () => {
    const ip = `203.0.113.${Math.floor(Math.random() * 250)}`;
    const headers = { "CF-Connecting-IP": ip };
    for (let i = 0; i < 20; i++) {
      const res = await send("POST", MAGIC, { email: `${unique("ip")}@example.test` }, undefined, headers);
      expect(res.status).toBe(202);
    }
    const res = await send("POST", MAGIC, { email: `${unique("ip")}@example.test` }, undefined, headers);
    await expectError(res, 429, "RATE_LIMITED");
  });
});

describe("the magic-link flow", () => {
  it("signs a passwordless user in from the recorded email, verifying its address", async () => {
    const user = await createUser();
    expect((await send("POST", MAGIC, { email: user.email })).status).toBe(202);

    const { token: adminToken } = await fixtureAdmin();
    const list = await body(await send("GET", "/api/v1/admin/emails?limit=1000", undefined, adminToken));
    const email = list.emails.find((e: { to: string }) => e.to === user.email);
    expect(email).toMatchObject({ kind: "magic_link", subject: "Your sign-in link for Identity & Training" });
    const link = /https:\/\/\S+/.exec(email.text)?.[0] ?? "";
    expect(link).toMatch(/^https:\/\/api\.example\.test\/api\/v1\/auth\/magic-link\?token=[\w-]{43}$/);
    expect(email.html).toContain(`href="${link}"`);

    const page = await call(link);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    const token = new URL(link).searchParams.get("token") ?? "";
    expect(html).toContain('action="/api/v1/auth/magic-link/verify"');
    expect(html).toContain(`name="token" value="${token}"`);

    const res = await verify(token);
    expect(res.status).toBe(200);
    const json = await body(res);
    expect(json).toMatchObject({ token_type: "bearer", user: { id: user.id, email_verified: true } });
    const me = await send("GET", "/api/v1/auth/me", undefined, json.access_token);
    expect((await body(me)).user.id).toBe(user.id);
    const event = await env.DB.prepare(
      "SELECT detail FROM auth_events WHERE user_id = ?1 AND event = 'magic_link_login'",
    )
      .bind(user.id)
      .first<{ detail: string }>();
    expect(event?.detail).toBe("magic link");
  });

  it("works once: the same token again is 401 LINK_TOKEN_USED", async () => {
    const { token } = await userWithLink();
    expect((await verify(token)).status).toBe(200);
    await expectError(await verify(token), 401, "LINK_TOKEN_USED");
  });

  it("never uses the token up on GET (mail scanners): after two GETs it still signs in", async () => {
    const { token } = await userWithLink();
    for (let i = 0; i < 2; i++) expect((await call(`${MAGIC}?token=${token}`)).status).toBe(200);
    expect((await verify(token)).status).toBe(200);
    const used = await call(`${MAGIC}?token=${token}`);
    expect(used.status).toBe(401);
    expect(await used.text()).toContain("already been used");
  });

  it.each([2, 10])("of %i concurrent verifications exactly one signs in", async (n) => {
    const { user, token } = await userWithLink();
    const results = await Promise.all(Array.from({ length: n }, () => verify(token)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array(n - 1).fill(401)]);
    for (const r of results.filter((r) => r.status === 401)) expect((await body(r)).code).toBe("LINK_TOKEN_USED");
    const sessions = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_id = ?1")
      .bind(user.id)
      .first<{ n: number }>();
    expect(sessions?.n).toBe(1);
  });

  it("expires after MAGIC_LINK_TTL_SECONDS (401 LINK_TOKEN_EXPIRED)", async () => {
    const clock = manualClock();
    const client = clientAt(clock);
    const user = await createUser();
    expect((await client.send("POST", MAGIC, { email: user.email })).status).toBe(202);
    const token = await tokenFromEmail(user.email, "magic_link");
    clock.advance(899);
    expect((await client.call(`${MAGIC}?token=${token}`)).status).toBe(200);
    clock.advance(2);
    await expectError(await client.send("POST", VERIFY, { token }), 401, "LINK_TOKEN_EXPIRED");
  });

  it("clamps the KV TTL to KV's 60-second minimum when the lifetime is shorter, and still expires on time", async () => {
    const clock = manualClock();
    const client = clientAt(clock, { ...env, MAGIC_LINK_TTL_SECONDS: "5" });
    const user = await createUser();
    const before = Math.floor(Date.now() / 1000);
    expect((await client.send("POST", MAGIC, { email: user.email })).status).toBe(202);
    const token = await tokenFromEmail(user.email, "magic_link");
    const { keys } = await env.TOKENS_KV.list({ prefix: `token:${await sha256Hex(token)}` });
    expect(keys).toHaveLength(1);
    expect(keys[0]?.expiration).toBeGreaterThanOrEqual(before + 60);
    expect(keys[0]?.expiration).toBeLessThanOrEqual(before + 62);
    clock.advance(6);
    await expectError(await client.send("POST", VERIFY, { token }), 401, "LINK_TOKEN_EXPIRED");
  });

  it("answers distinct codes for a malformed (400), unknown (401) and wrong-kind (400) token", async () => {
    await expectError(await verify("not-a-token"), 400, "LINK_TOKEN_MALFORMED");
    await expectError(await verify("A".repeat(43)), 401, "LINK_TOKEN_INVALID");
    const user = await createUser();
    await send("POST", "/api/v1/auth/password-reset", { email: user.email });
    const reset = await tokenFromEmail(user.email, "password_reset");
    await expectError(await verify(reset), 400, "LINK_TOKEN_WRONG_KIND");
  });

  it("refuses a token once the user is deactivated (403)", async () => {
    const { user, token } = await userWithLink();
    await env.DB.prepare("UPDATE users SET is_active = 0 WHERE id = ?1").bind(user.id).run();
    await expectError(await verify(token), 403, "ACCOUNT_DISABLED");
  });
});

describe("the magic-link form post", () => {
  it("sets the cookies and answers 303 to the link's next", async () => {
    const { token } = await userWithLink("/trainings?tab=mine");
    const res = await call(VERIFY, formPost({ token }));
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/trainings?tab=mine");
    const cookies = res.headers.getSetCookie();
    expect(cookies.find((c) => c.startsWith("access_token="))).toContain("HttpOnly");
    expect(cookies.find((c) => c.startsWith("refresh_token="))).toContain("Path=/api/v1/auth");
  });

  it("redirects to / without next", async () => {
    const { token } = await userWithLink();
    const res = await call(VERIFY, formPost({ token }));
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
  });

  it("refuses a form from another site (login CSRF) and leaves the token unused", async () => {
    const { token } = await userWithLink();
    await expectError(
      await call(VERIFY, formPost({ token }, { Origin: "https://evil.example" })),
      403,
      "CSRF_ORIGIN_REJECTED",
    );
    const noOrigin = formPost({ token }, { "Sec-Fetch-Site": "cross-site" });
    delete (noOrigin.headers as Record<string, string>).Origin;
    await expectError(await call(VERIFY, noOrigin), 403, "CSRF_ORIGIN_REJECTED");
    const bare = formPost({ token });
    const h = bare.headers as Record<string, string>;
    delete h.Origin;
    delete h["Sec-Fetch-Site"];
    await expectError(await call(VERIFY, bare), 403, "CSRF_ORIGIN_REJECTED");
    expect((await call(VERIFY, formPost({ token }))).status).toBe(303);
  });

  it("accepts form posts only on the link paths (415 elsewhere) and nothing but JSON or a form (415)", async () => {
    const login = await call("/api/v1/auth/login", formPost({ email: "a@example.test", password: "x" }));
    await expectError(login, 415, "UNSUPPORTED_MEDIA_TYPE");
    const plain = await call(VERIFY, { method: "POST", headers: { "Content-Type": "text/plain" }, body: "token=x" });
    await expectError(plain, 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("answers 422 for a form post without a token", async () => {
    await expectError(await call(VERIFY, formPost({})), 422, "VALIDATION_ERROR");
  });
});
