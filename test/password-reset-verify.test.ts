import { describe, expect, it } from "vitest";
import { createUser, REGISTERED_PASSWORD, registered } from "./factories";
import { body, call, clientAt, env, expectError, manualClock, send, unique } from "./helpers";
import { emailsTo, formPost, tokenFromEmail } from "./links";

const PASSWORD = REGISTERED_PASSWORD;
const NEW_PASSWORD = "another long passphrase 42";
const RESET = "/api/v1/auth/password-reset";

async function resetToken(email: string) {
  expect((await send("POST", RESET, { email })).status).toBe(202);
  return tokenFromEmail(email, "password_reset");
}

const login = (email: string, password: string) => send("POST", "/api/v1/auth/login", { email, password });

describe("password reset", () => {
  it("answers the same 202 body for every address and emails only an account", async () => {
    const user = await createUser();
    const stranger = `${unique("nobody")}@example.test`;
    const a = await send("POST", RESET, { email: user.email });
    const b = await send("POST", RESET, { email: stranger });
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(await body(a)).toEqual(await body(b));
    expect((await emailsTo(user.email)).map((e) => e.kind)).toEqual(["password_reset"]);
    expect(await emailsTo(stranger)).toHaveLength(0);
  });

  it("sets the new password and revokes every session of the user", async () => {
    const user = await registered("pr");
    const second = await body(await login(user.email, PASSWORD));
    const token = await resetToken(user.email);

    const page = await call(`${RESET}?token=${token}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<label for="new_password">New password</label>');
    expect(html).toContain('action="/api/v1/auth/password-reset/confirm"');

    const res = await send("POST", `${RESET}/confirm`, { token, new_password: NEW_PASSWORD });
    expect(res.status).toBe(200);
    for (const access of [user.access, second.access_token]) {
      await expectError(await send("GET", "/api/v1/auth/me", undefined, access), 401, "INVALID_TOKEN");
    }
    expect((await send("POST", "/api/v1/auth/refresh", { refresh_token: user.refresh })).status).toBe(401);
    await expectError(await login(user.email, PASSWORD), 401, "INVALID_CREDENTIALS");
    expect((await login(user.email, NEW_PASSWORD)).status).toBe(200);
    const event = await env.DB.prepare(
      "SELECT count(*) AS n FROM auth_events WHERE user_id = ?1 AND event = 'password_reset'",
    )
      .bind(user.id)
      .first<{ n: number }>();
    expect(event?.n).toBe(1);
    await expectError(
      await send("POST", `${RESET}/confirm`, { token, new_password: NEW_PASSWORD }),
      401,
      "LINK_TOKEN_USED",
    );
  });

  it("applies the password policy (422) without using the token up", async () => {
    const user = await registered("pr");
    const token = await resetToken(user.email);
    await expectError(
      await send("POST", `${RESET}/confirm`, { token, new_password: "short" }),
      422,
      "VALIDATION_ERROR",
    );
    expect((await send("POST", `${RESET}/confirm`, { token, new_password: NEW_PASSWORD })).status).toBe(200);
  });

  it("expires after 30 minutes", async () => {
    const clock = manualClock();
    const client = clientAt(clock);
    const user = await createUser();
    expect((await client.send("POST", RESET, { email: user.email })).status).toBe(202);
    const token = await tokenFromEmail(user.email, "password_reset");
    clock.advance(29 * 60);
    expect((await client.call(`${RESET}?token=${token}`)).status).toBe(200);
    clock.advance(61);
    await expectError(
      await client.send("POST", `${RESET}/confirm`, { token, new_password: NEW_PASSWORD }),
      401,
      "LINK_TOKEN_EXPIRED",
    );
  });

  it("refuses a magic-link token (400 LINK_TOKEN_WRONG_KIND)", async () => {
    const user = await createUser();
    await send("POST", "/api/v1/auth/magic-link", { email: user.email });
    const token = await tokenFromEmail(user.email, "magic_link");
    await expectError(
      await send("POST", `${RESET}/confirm`, { token, new_password: NEW_PASSWORD }),
      400,
      "LINK_TOKEN_WRONG_KIND",
    );
  });

  it("accepts the reset page's form from this site only, answering a page", async () => {
    const user = await registered("pr");
    const token = await resetToken(user.email);
    const fields = { token, new_password: NEW_PASSWORD };
    await expectError(
      await call(`${RESET}/confirm`, formPost(fields, { Origin: "https://evil.example" })),
      403,
      "CSRF_ORIGIN_REJECTED",
    );
    const res = await call(`${RESET}/confirm`, formPost(fields));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("Password changed");
  });
});

describe("email verification", () => {
  it("registration queues the verification email with the user, in its batch", async () => {
    const user = await registered("pr");
    const row = await env.DB.prepare("SELECT user_id, kind, status FROM emails WHERE to_address = ?1")
      .bind(user.email)
      .first<{ user_id: number; kind: string }>();
    expect(row).toMatchObject({ user_id: user.id, kind: "email_verification" });
  });

  it("a failed registration (taken email) stores no email", async () => {
    const user = await registered("pr");
    const res = await send("POST", "/api/v1/auth/register", {
      username: unique("dup"),
      email: user.email,
      password: PASSWORD,
    });
    expect(res.status).toBe(409);
    expect(await emailsTo(user.email)).toHaveLength(1);
  });

  it("POST /auth/verify-email/confirm sets email_verified, once", async () => {
    const user = await registered("pr");
    const token = await tokenFromEmail(user.email, "email_verification");
    const res = await send("POST", "/api/v1/auth/verify-email/confirm", { token });
    expect(res.status).toBe(200);
    const me = await body(await send("GET", "/api/v1/auth/me", undefined, user.access));
    expect(me.user.email_verified).toBe(true);
    await expectError(await send("POST", "/api/v1/auth/verify-email/confirm", { token }), 401, "LINK_TOKEN_USED");
  });

  it("the link's page GET /auth/verify-email sets email_verified", async () => {
    const user = await registered("pr");
    const token = await tokenFromEmail(user.email, "email_verification");
    const page = await call(`/api/v1/auth/verify-email?token=${token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Email address verified");
    const me = await body(await send("GET", "/api/v1/auth/me", undefined, user.access));
    expect(me.user.email_verified).toBe(true);
  });

  it("a verification token is refused by the magic-link and reset flows", async () => {
    const user = await registered("pr");
    const token = await tokenFromEmail(user.email, "email_verification");
    await expectError(await send("POST", "/api/v1/auth/magic-link/verify", { token }), 400, "LINK_TOKEN_WRONG_KIND");
    await expectError(
      await send("POST", `${RESET}/confirm`, { token, new_password: NEW_PASSWORD }),
      400,
      "LINK_TOKEN_WRONG_KIND",
    );
  });

  it("POST /auth/verify-email sends it again while unverified, and not once verified", async () => {
    const user = await registered("pr");
    const res = await send("POST", "/api/v1/auth/verify-email", undefined, user.access);
    expect(res.status).toBe(202);
    expect(await emailsTo(user.email)).toHaveLength(2);
    const token = await tokenFromEmail(user.email, "email_verification");
    expect((await send("POST", "/api/v1/auth/verify-email/confirm", { token })).status).toBe(200);
    const again = await send("POST", "/api/v1/auth/verify-email", undefined, user.access);
    expect(again.status).toBe(202);
    expect((await body(again)).message).toBe("Email address already verified");
    expect(await emailsTo(user.email)).toHaveLength(2);
  });

  it("a token sent to an address the user no longer has is refused", async () => {
    const user = await registered("pr");
    const token = await tokenFromEmail(user.email, "email_verification");
    await env.DB.prepare("UPDATE users SET email = ?2 WHERE id = ?1")
      .bind(user.id, `${unique("moved")}@example.test`)
      .run();
    await expectError(await send("POST", "/api/v1/auth/verify-email/confirm", { token }), 401, "LINK_TOKEN_INVALID");
  });
});
