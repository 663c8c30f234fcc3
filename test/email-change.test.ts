import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { body, call, countingDb, env, expectError, send, unique } from "./helpers";
import { emailsTo, formPost, tokenFromEmail } from "./links";

const PASSWORD = "correct horse battery staple";

/** A new account (signed in now) and an address for it to move to. */
async function accountMoving() {
  const username = unique("mv");
  const pair = await body(
    await send("POST", "/api/v1/auth/register", { username, email: `${username}@example.test`, password: PASSWORD }),
  );
  return {
    id: pair.user.id as number,
    oldEmail: `${username}@example.test`,
    newEmail: `${unique("new")}@example.test`,
    pair,
  };
}

const storedEmailOf = async (id: number) =>
  await env.DB.prepare("SELECT email, email_verified FROM users WHERE id = ?1")
    .bind(id)
    .first<{ email: string; email_verified: number }>();

describe("a user changing its own email (attack: moving a stolen account to the thief's address)", () => {
  it("changes nothing at once: the new address gets a link and the current one a notice", async () => {
    const { id, oldEmail, newEmail, pair } = await accountMoving();
    const res = await send("PATCH", `/api/v1/users/${id}`, { email: newEmail }, pair.access_token);
    expect(res.status).toBe(200);
    const json = await body(res);
    expect(json.user.email).toBe(oldEmail);
    expect(json.message).toBe(`User updated; the email changes once ${newEmail} confirms it from the link sent there`);
    expect((await storedEmailOf(id))?.email).toBe(oldEmail);
    const [notice] = await emailsTo(oldEmail);
    expect(notice).toMatchObject({ kind: "email_change_notice" });
    expect(notice?.text).toContain(newEmail);
    expect(notice?.text).not.toMatch(/token=/);
    expect((await emailsTo(newEmail))[0]?.kind).toBe("email_change");
    expect((await emailsTo(newEmail))[0]?.text).toContain("The link expires in 24 hours");
  });

  it("takes effect, verified, once the new address confirms it; the link works once", async () => {
    const { id, newEmail, pair } = await accountMoving();
    await send("PATCH", `/api/v1/users/${id}`, { email: newEmail }, pair.access_token);
    const token = await tokenFromEmail(newEmail, "email_change");
    const res = await send("POST", "/api/v1/auth/confirm-email", { token });
    expect(await body(res)).toEqual({ message: "Email address changed" });
    expect(await storedEmailOf(id)).toEqual({ email: newEmail, email_verified: 1 });
    await expectError(await send("POST", "/api/v1/auth/confirm-email", { token }), 401, "LINK_TOKEN_USED");
    const audited = await env.DB.prepare("SELECT 1 FROM auth_events WHERE user_id = ?1 AND event = 'email_changed'")
      .bind(id)
      .first();
    expect(audited).not.toBeNull();
  });

  it("shows a page naming the new address on GET, using nothing up, and confirms from its form", async () => {
    const { id, newEmail, pair } = await accountMoving();
    await send("PATCH", `/api/v1/users/${id}`, { email: newEmail }, pair.access_token);
    const token = await tokenFromEmail(newEmail, "email_change");
    const page = await call(`/api/v1/auth/confirm-email?token=${token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(newEmail);
    expect((await storedEmailOf(id))?.email).not.toBe(newEmail);
    const posted = await call("/api/v1/auth/confirm-email", formPost({ token }));
    expect(posted.status).toBe(200);
    expect((await storedEmailOf(id))?.email).toBe(newEmail);
  });

  it("costs two D1 round trips: the account with the new address's holder, then the write that reads the answer back", async () => {
    const { id, oldEmail, newEmail, pair } = await accountMoving();
    await app.request("/api/v1/hello", {}, env);
    const { db, counter } = countingDb(env.DB);
    const res = await app.request(
      `/api/v1/users/${id}`,
      {
        method: "PATCH",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${pair.access_token}` },
        body: JSON.stringify({ email: newEmail, department: "Moved" }),
      },
      { ...env, DB: db },
    );
    expect(res.status).toBe(200);
    expect((await body(res)).user).toMatchObject({ email: oldEmail, department: "Moved" });
    expect(counter.trips).toBe(2);
    expect((await emailsTo(newEmail))[0]?.kind).toBe("email_change");
  });

  it("refuses at once an address another account uses (409 EMAIL_TAKEN)", async () => {
    const { id, pair } = await accountMoving();
    const other = await accountMoving();
    await expectError(
      await send("PATCH", `/api/v1/users/${id}`, { email: other.oldEmail }, pair.access_token),
      409,
      "EMAIL_TAKEN",
    );
  });

  it("refuses the confirmation when the new address was taken meanwhile (409 EMAIL_TAKEN)", async () => {
    const { id, newEmail, pair } = await accountMoving();
    await send("PATCH", `/api/v1/users/${id}`, { email: newEmail }, pair.access_token);
    const token = await tokenFromEmail(newEmail, "email_change");
    await send("POST", "/api/v1/auth/register", { username: unique("squat"), email: newEmail, password: PASSWORD });
    await expectError(await send("POST", "/api/v1/auth/confirm-email", { token }), 409, "EMAIL_TAKEN");
  });

  it("refuses another kind of token (400 LINK_TOKEN_WRONG_KIND)", async () => {
    const { oldEmail } = await accountMoving();
    const token = await tokenFromEmail(oldEmail, "email_verification");
    await expectError(await send("POST", "/api/v1/auth/confirm-email", { token }), 400, "LINK_TOKEN_WRONG_KIND");
  });
});
