import { describe, expect, it } from "vitest";
import { body, env, send, unique } from "./helpers";

const PASSWORD = "correct horse battery staple";

async function register(overrides: Record<string, unknown> = {}) {
  const username = unique("reg");
  const res = await send("POST", "/api/v1/auth/register", {
    username,
    email: `${username}@example.test`,
    password: PASSWORD,
    full_name: "Reg User",
    ...overrides,
  });
  return { res, username, json: await body(res) };
}

describe("register and login", () => {
  it("registers a user as EMPLOYEE and answers a token pair", async () => {
    const { res, username, json } = await register();
    expect(res.status).toBe(201);
    expect(json).toMatchObject({
      token_type: "bearer",
      expires_in: 900,
      message: "User registered successfully",
      user: { username, email: `${username}@example.test`, role: "EMPLOYEE", is_active: true, is_admin: false },
    });
    expect(json.user).not.toHaveProperty("password_hash");
    const me = await send("GET", "/api/v1/auth/me", undefined, json.access_token);
    expect(me.status).toBe(200);
    expect((await body(me)).user.username).toBe(username);
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

  it("logs in by username and by email", async () => {
    const { username } = await register();
    const byName = await send("POST", "/api/v1/auth/login", { username, password: PASSWORD });
    expect(byName.status).toBe(200);
    const byEmail = await send("POST", "/api/v1/auth/login", { email: `${username}@example.test`, password: PASSWORD });
    expect(byEmail.status).toBe(200);
    expect((await body(byEmail)).user.username).toBe(username);
  });

  it("creates the first admin from ADMIN_EMAIL / ADMIN_PASSWORD", async () => {
    const res = await send("POST", "/api/v1/auth/login", {
      email: "admin@example.test",
      password: "Admin-Password-For-Tests-1",
    });
    expect(res.status).toBe(200);
    expect((await body(res)).user).toMatchObject({ role: "ADMIN", is_admin: true });
  });
});
