import { describe, expect, it } from "vitest";
import { fixtureAdmin } from "./access-fixtures";
import { createUser, signedIn } from "./factories";
import { body, clientAt, env, expectError, manualClock, send, unique } from "./helpers";

const KEYS = "/api/v1/integration-keys";
const SECRET_KEY = "test-integration-key-0123456789abcdef"; // INTEGRATION_KEYS in vitest.config.ts

async function newKey() {
  const { token } = await fixtureAdmin();
  const res = await send("POST", KEYS, { name: unique("key ") }, token);
  expect(res.status).toBe(201);
  return (await body(res)) as { integration_key: { id: number; prefix: string }; key: string };
}

const loginLink = (userId: number, token: string, key?: string) =>
  send(
    "POST",
    `/api/v1/users/${userId}/login-link`,
    undefined,
    token,
    key === undefined ? {} : { "X-Integration-Key": key },
  );

const tokenOf = (link: string) => new URL(link).searchParams.get("token") ?? "";

describe("integration keys", () => {
  it("creates a key shown once, stored as a hash, listed without it", async () => {
    const { token } = await fixtureAdmin();
    const res = await send("POST", KEYS, { name: "LMS sync" }, token);
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const json = await body(res);
    expect(json.key).toMatch(/^ik_[\w-]{43}$/);
    expect(json.integration_key).toMatchObject({ name: "LMS sync", prefix: json.key.slice(0, 11), last_used_at: null });
    const stored = await env.DB.prepare("SELECT key_hash FROM integration_keys WHERE id = ?1")
      .bind(json.integration_key.id)
      .first<{ key_hash: string }>();
    expect(stored?.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored?.key_hash).not.toContain(json.key);
    const list = await body(await send("GET", KEYS, undefined, token));
    const listed = list.integration_keys.find((k: { id: number }) => k.id === json.integration_key.id);
    expect(listed).toEqual(json.integration_key);
    expect(JSON.stringify(list)).not.toContain(json.key);
  });

  it("is managed only with integration_keys:manage", async () => {
    const { token } = await signedIn("KNOWLEDGE_MANAGER");
    await expectError(await send("POST", KEYS, { name: "x" }, token), 403, "FORBIDDEN");
    await expectError(await send("GET", KEYS, undefined, token), 403, "FORBIDDEN");
  });

  it("is refused at once after it is revoked, and is no longer listed", async () => {
    const { integration_key, key } = await newKey();
    const { token: admin } = await fixtureAdmin();
    const { token } = await signedIn("KNOWLEDGE_MANAGER");
    const user = await createUser();
    expect((await loginLink(user.id, token, key)).status).toBe(201);
    expect((await send("DELETE", `${KEYS}/${integration_key.id}`, undefined, admin)).status).toBe(200);
    await expectError(await loginLink(user.id, token, key), 401, "INTEGRATION_KEY_INVALID");
    const list = await body(await send("GET", KEYS, undefined, admin));
    expect(list.integration_keys.map((k: { id: number }) => k.id)).not.toContain(integration_key.id);
    await expectError(
      await send("DELETE", `${KEYS}/${integration_key.id}`, undefined, admin),
      404,
      "INTEGRATION_KEY_NOT_FOUND",
    );
  });
});

describe("POST /users/{id}/login-link", () => {
  it("issues nothing with a key revoked between its check and the write (401)", async () => {
    const { integration_key, key } = await newKey();
    const { token } = await signedIn("KNOWLEDGE_MANAGER");
    const user = await createUser();
    // The key is revoked just before the batch that would record the link.
    const racing = new Proxy(env.DB, {
      get(target, prop, receiver) {
        if (prop === "batch") {
          return async (statements: D1PreparedStatement[]) => {
            const sql = statements.map((st) => String((st as unknown as { statement?: string }).statement ?? ""));
            if (sql.some((text) => text.includes("INSERT INTO auth_events"))) {
              await target
                .prepare("UPDATE integration_keys SET revoked_at = ?2 WHERE id = ?1")
                .bind(integration_key.id, new Date().toISOString())
                .run();
            }
            return target.batch(statements);
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const res = await clientAt(manualClock(), { DB: racing }).send(
      "POST",
      `/api/v1/users/${user.id}/login-link`,
      undefined,
      token,
      { "X-Integration-Key": key },
    );
    await expectError(res, 401, "INTEGRATION_KEY_INVALID");
    const issued = await env.DB.prepare(
      "SELECT count(*) AS n FROM auth_events WHERE user_id = ?1 AND event = 'login_link_issued'",
    )
      .bind(user.id)
      .first<{ n: number }>();
    expect(issued?.n).toBe(0);
  });

  it("answers a one-time magic link for the user, records the key, and the link signs that user in", async () => {
    const { integration_key, key } = await newKey();
    const { user: caller, token } = await signedIn("KNOWLEDGE_MANAGER");
    const user = await createUser();
    const res = await loginLink(user.id, token, key);
    expect(res.status).toBe(201);
    const json = await body(res);
    expect(json.login_link).toMatch(/^https:\/\/api\.example\.test\/api\/v1\/auth\/magic-link\?token=[\w-]{43}$/);
    expect(Date.parse(json.expires_at)).toBeGreaterThan(Date.now() + 800_000);

    const issued = await env.DB.prepare(
      "SELECT detail FROM auth_events WHERE user_id = ?1 AND event = 'login_link_issued'",
    )
      .bind(user.id)
      .first<{ detail: string }>();
    expect(issued?.detail).toBe(`by user ${caller.id} with integration key ${integration_key.id}`);
    const row = await env.DB.prepare("SELECT last_used_at FROM integration_keys WHERE id = ?1")
      .bind(integration_key.id)
      .first<{ last_used_at: string | null }>();
    expect(row?.last_used_at).not.toBeNull();

    const signIn = await send("POST", "/api/v1/auth/magic-link/verify", { token: tokenOf(json.login_link) });
    expect(signIn.status).toBe(200);
    expect((await body(signIn)).user.id).toBe(user.id);
    const login = await env.DB.prepare(
      "SELECT detail FROM auth_events WHERE user_id = ?1 AND event = 'magic_link_login'",
    )
      .bind(user.id)
      .first<{ detail: string }>();
    expect(login?.detail).toBe(`login link issued by integration key ${integration_key.id}`);
    await expectError(
      await send("POST", "/api/v1/auth/magic-link/verify", { token: tokenOf(json.login_link) }),
      401,
      "LINK_TOKEN_USED",
    );
  });

  it("accepts a key of the INTEGRATION_KEYS secret", async () => {
    const { token } = await signedIn("KNOWLEDGE_MANAGER");
    const user = await createUser();
    expect((await loginLink(user.id, token, SECRET_KEY)).status).toBe(201);
    const issued = await env.DB.prepare(
      "SELECT detail FROM auth_events WHERE user_id = ?1 AND event = 'login_link_issued'",
    )
      .bind(user.id)
      .first<{ detail: string }>();
    expect(issued?.detail).toContain("INTEGRATION_KEYS secret key #1");
  });

  it("lets the API role mint links for users holding no more than it does", async () => {
    const { token } = await signedIn("API");
    const user = await createUser({ role: "API" });
    expect((await loginLink(user.id, token, SECRET_KEY)).status).toBe(201);
  });

  it("lets the API role mint links for ordinary employees (KC7's integration flow)", async () => {
    const { token } = await signedIn("API");
    const employee = await createUser({ role: "EMPLOYEE" });
    expect((await loginLink(employee.id, token, SECRET_KEY)).status).toBe(201);
  });

  it("refuses the API role a link for a knowledge manager, who holds more than every account's baseline", async () => {
    const { token } = await signedIn("API");
    const manager = await createUser({ role: "KNOWLEDGE_MANAGER" });
    await expectError(await loginLink(manager.id, token, SECRET_KEY), 403, "PRIVILEGE_ESCALATION");
  });

  it("is 401 without a key or with a wrong one", async () => {
    const { token } = await signedIn("API");
    const user = await createUser();
    await expectError(await loginLink(user.id, token), 401, "INTEGRATION_KEY_INVALID");
    await expectError(await loginLink(user.id, token, `${SECRET_KEY}x`), 401, "INTEGRATION_KEY_INVALID");
    await expectError(await loginLink(user.id, token, `ik_${"A".repeat(43)}`), 401, "INTEGRATION_KEY_INVALID");
  });

  it("judges the key before the user read with it: a wrong key is 401 for an unknown or a more privileged user too", async () => {
    const { token } = await signedIn("API");
    const admin = await createUser({ role: "ADMIN" });
    for (const key of [`ik_${"A".repeat(43)}`, `${SECRET_KEY}x`]) {
      await expectError(await loginLink(99_999_999, token, key), 401, "INTEGRATION_KEY_INVALID");
      await expectError(await loginLink(admin.id, token, key), 401, "INTEGRATION_KEY_INVALID");
    }
  });

  it("is 403 for a caller without login_links:create, even with a valid key", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const user = await createUser();
    await expectError(await loginLink(user.id, token, SECRET_KEY), 403, "FORBIDDEN");
  });

  it("is 404 for a deactivated or unknown user", async () => {
    const { token } = await signedIn("API");
    const inactive = await createUser({ isActive: false });
    await expectError(await loginLink(inactive.id, token, SECRET_KEY), 404, "USER_NOT_FOUND");
    await expectError(await loginLink(99_999_999, token, SECRET_KEY), 404, "USER_NOT_FOUND");
  });

  it("refuses a link for a user who holds permissions the caller lacks (a manager can't sign in as an admin)", async () => {
    const { token } = await signedIn("KNOWLEDGE_MANAGER");
    const admin = await createUser({ role: "ADMIN" });
    await expectError(await loginLink(admin.id, token, SECRET_KEY), 403, "PRIVILEGE_ESCALATION");
  });
});
