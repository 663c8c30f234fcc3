import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { createTraining } from "./factories";
import { body, countingDb, env, expectError, send, unique } from "./helpers";

const PASSWORD = "correct horse battery staple";

/** A new EMPLOYEE registered through the API: its tokens are the real ones, carrying `az`. */
async function registered() {
  const username = unique("az");
  const json = await body(
    await send("POST", "/api/v1/auth/register", { username, email: `${username}@example.test`, password: PASSWORD }),
  );
  return { userId: json.user.id as number, access: json.access_token as string, refresh: json.refresh_token as string };
}

/** The bootstrap ADMIN signed in through the API. */
async function adminSignedIn() {
  const json = await body(
    await send("POST", "/api/v1/auth/login", { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD }),
  );
  return json.access_token as string;
}

const payloadOf = (token: string) =>
  JSON.parse(atob((token.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/")));

/** `path` requested with `token`, counting D1 round trips. */
async function counted(method: string, path: string, token: string, json?: unknown) {
  await app.request("/api/v1/hello", {}, env); // warm the isolate (admin bootstrap runs once)
  const { db, counter } = countingDb(env.DB);
  const res = await app.request(
    path,
    {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(json ? { "Content-Type": "application/json" } : {}) },
      body: json ? JSON.stringify(json) : undefined,
    },
    { ...env, DB: db },
  );
  return { res, trips: counter.trips };
}

describe("access tokens carry the caller's authorization", () => {
  it("puts roles, permissions and the authorization version in the access token only", async () => {
    const { access, refresh } = await registered();
    const az = payloadOf(access).az;
    expect(az).toMatchObject({ v: expect.any(Number), r: ["EMPLOYEE"], m: [], a: [] });
    expect(az.p).toContain("trainings:read");
    expect(payloadOf(refresh).az).toBeUndefined();
  });

  it("answers an authenticated read in one D1 round trip: the token check rides with the data", async () => {
    const { access } = await registered();
    const me = await counted("GET", "/api/v1/auth/me", access);
    expect(me.res.status).toBe(200);
    expect(me.trips).toBe(1);
    const admin = await adminSignedIn();
    const list = await counted("GET", "/api/v1/trainings?limit=20", admin);
    expect(list.res.status).toBe(200);
    expect(list.trips).toBe(1);
    const mine = await counted("GET", "/api/v1/registrations", access);
    expect(mine.res.status).toBe(200);
    expect(mine.trips).toBe(1);
  });

  it("rotates a refresh token and reads the answer's user view and the authorization the new access token carries in one round trip", async () => {
    const { refresh } = await registered();
    await app.request("/api/v1/hello", {}, env);
    const { db, counter } = countingDb(env.DB);
    const res = await app.request(
      "/api/v1/auth/refresh",
      {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: refresh }),
      },
      { ...env, DB: db },
    );
    expect(res.status).toBe(200);
    expect(payloadOf((await body(res)).access_token).az.r).toEqual(["EMPLOYEE"]);
    // The rotation, the user view of the answer and the authorization reads: one batch.
    expect(counter.trips).toBe(1);
  });

  it("spends at most two round trips on a write", async () => {
    const admin = await adminSignedIn();
    const created = await counted("POST", "/api/v1/trainings", admin, {
      title: unique("Trips"),
      category: "TECHNICAL",
      level: "BEGINNER",
      status: "PUBLISHED",
    });
    expect(created.res.status).toBe(201);
    expect(created.trips).toBeLessThanOrEqual(2);
  });

  it("keeps a token that claims less than the user has, and refuses one that claims more", async () => {
    const { userId, access, refresh } = await registered();
    expect((await send("GET", "/api/v1/users?limit=1", undefined, access)).status).toBe(403);
    // A grant: the token is merely behind (403 until refreshed), not refused.
    await env.DB.prepare(
      "INSERT INTO user_roles (user_id, role_id) SELECT ?1, id FROM roles WHERE name = 'KNOWLEDGE_MANAGER' AND organization_id IS NULL",
    )
      .bind(userId)
      .run();
    expect((await send("GET", "/api/v1/auth/me", undefined, access)).status).toBe(200);
    const pair = await body(await send("POST", "/api/v1/auth/refresh", { refresh_token: refresh }));
    expect(payloadOf(pair.access_token).az.r).toContain("KNOWLEDGE_MANAGER");
    expect((await send("GET", "/api/v1/users?limit=1", undefined, pair.access_token)).status).toBe(200);
    // A removal: every token issued before it is refused; a refresh brings one without the role.
    await env.DB.prepare(
      "DELETE FROM user_roles WHERE user_id = ?1 AND role_id = (SELECT id FROM roles WHERE name = 'KNOWLEDGE_MANAGER' AND organization_id IS NULL)",
    )
      .bind(userId)
      .run();
    const stale = await expectError(
      await send("GET", "/api/v1/users?limit=1", undefined, pair.access_token),
      401,
      "INVALID_TOKEN",
    );
    expect(stale.detail).toContain("permissions changed");
    const again = await body(await send("POST", "/api/v1/auth/refresh", { refresh_token: pair.refresh_token }));
    expect(payloadOf(again.access_token).az.r).not.toContain("KNOWLEDGE_MANAGER");
    expect((await send("GET", "/api/v1/users?limit=1", undefined, again.access_token)).status).toBe(403);
  });

  it("bumps the version of every holder when something is taken away, never on a grant", async () => {
    const a = await registered();
    const b = await registered();
    const version = async (id: number) =>
      (await env.DB.prepare("SELECT authz_version AS v FROM users WHERE id = ?1").bind(id).first<{ v: number }>())?.v;
    const before = [await version(a.userId), await version(b.userId)];
    // Every EMPLOYEE's permissions change.
    await env.DB.prepare(
      `INSERT INTO role_permissions (role_id, permission_id)
       SELECT r.id, p.id FROM roles r, permissions p
        WHERE r.name = 'EMPLOYEE' AND r.organization_id IS NULL AND p.resource = 'audit' AND p.action = 'read'`,
    ).run();
    const afterGrant = [await version(a.userId), await version(b.userId)];
    expect(afterGrant).toEqual(before);
    await env.DB.prepare(
      `DELETE FROM role_permissions WHERE role_id = (SELECT id FROM roles WHERE name = 'EMPLOYEE' AND organization_id IS NULL)
          AND permission_id = (SELECT id FROM permissions WHERE resource = 'audit' AND action = 'read' AND organization_id IS NULL)`,
    ).run();
    expect(await version(a.userId)).toBeGreaterThan(afterGrant[0] ?? 0);
    expect(await version(b.userId)).toBeGreaterThan(afterGrant[1] ?? 0);
    await expectError(await send("GET", "/api/v1/auth/me", undefined, a.access), 401, "INVALID_TOKEN");

    const org = await env.DB.prepare("INSERT INTO organizations (name, name_key) VALUES (?1, ?1) RETURNING id")
      .bind(unique("org"))
      .first<{ id: number }>();
    const v0 = await version(b.userId);
    await env.DB.prepare("INSERT INTO organization_members (organization_id, user_id) VALUES (?1, ?2)")
      .bind(org?.id, b.userId)
      .run();
    await env.DB.prepare("UPDATE organization_members SET is_admin = 1 WHERE user_id = ?1").bind(b.userId).run();
    const v1 = await version(b.userId);
    expect(v1).toBe(v0);
    await env.DB.prepare("UPDATE organization_members SET is_admin = 0 WHERE user_id = ?1").bind(b.userId).run();
    const v2 = await version(b.userId);
    expect(v2).toBeGreaterThan(v1 ?? 0);
    await env.DB.prepare("DELETE FROM organization_members WHERE user_id = ?1").bind(b.userId).run();
    expect(await version(b.userId)).toBeGreaterThan(v2 ?? 0);
    const v3 = await version(b.userId);
    await env.DB.prepare("UPDATE users SET username = ?2 WHERE id = ?1").bind(b.userId, unique("renamed")).run();
    expect(await version(b.userId)).toBeGreaterThan(v3 ?? 0);
  });

  it("refuses the token of an ended session before returning any data, and writes nothing with it", async () => {
    const admin = await adminSignedIn();
    await createTraining(admin);
    const { access } = await registered();
    await send("POST", "/api/v1/auth/logout", undefined, access);
    await expectError(await send("GET", "/api/v1/trainings?limit=20", undefined, access), 401, "INVALID_TOKEN");

    // A write's first batch carries a guard: nothing is written for a token that is no longer good.
    const other = await adminSignedIn();
    await send("POST", "/api/v1/auth/logout", undefined, other);
    const title = unique("Ghost");
    await expectError(
      await send(
        "POST",
        "/api/v1/trainings",
        {
          title,
          category: "TECHNICAL",
          level: "BEGINNER",
        },
        other,
      ),
      401,
      "INVALID_TOKEN",
    );
    const row = await env.DB.prepare("SELECT count(*) AS n FROM trainings WHERE title = ?1")
      .bind(title)
      .first<{ n: number }>();
    expect(row?.n).toBe(0);
  });

  it("refuses a deactivated user's token with ACCOUNT_DISABLED", async () => {
    const { userId, access } = await registered();
    await env.DB.prepare("UPDATE users SET is_active = 0 WHERE id = ?1").bind(userId).run();
    await expectError(await send("GET", "/api/v1/auth/me", undefined, access), 401, "ACCOUNT_DISABLED");
  });
});
