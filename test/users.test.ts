import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { app } from "../src/app";
import { admin, customRole, fixtureAdmin, organization, systemRoleId, userWithPermissions } from "./access-fixtures";
import { createUser, signedIn, tokenFor } from "./factories";
import { body, countingDb, env, expectError, send, unique } from "./helpers";

const PASSWORD = "correct horse battery staple";

async function getUser(id: number, token: string) {
  return send("GET", `/api/v1/users/${id}`, undefined, token);
}

describe("GET /users/me and /users/{id}", () => {
  it("keeps /users/me answering the caller, not shadowed by /users/{id}", async () => {
    const { user, token } = await signedIn("EMPLOYEE");
    const res = await send("GET", "/api/v1/users/me", undefined, token);
    expect(res.status).toBe(200);
    expect((await body(res)).user).toMatchObject({ id: user.id, username: user.username });
  });

  it("lets a user read itself with its email but never a password hash", async () => {
    const { user, token } = await signedIn("EMPLOYEE");
    const res = await getUser(user.id, token);
    expect(res.status).toBe(200);
    const json = await body(res);
    expect(json.user).toMatchObject({ id: user.id, email: user.email, role: "EMPLOYEE", is_active: true });
    expect(json.user).not.toHaveProperty("password_hash");
  });

  it("answers 404 to an EMPLOYEE for another user, the same as for a missing one", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const other = await createUser();
    const hidden = await expectError(await getUser(other.id, token), 404, "USER_NOT_FOUND");
    expect(hidden.detail).toBe(`User with id ${other.id} not found`);
    const missing = await expectError(await getUser(99_999_999, token), 404, "USER_NOT_FOUND");
    expect(missing.detail).toBe("User with id 99999999 not found");
  });

  it("shows other users' emails only to holders of users:read_email", async () => {
    const other = await createUser();
    const { token: km } = await signedIn("KNOWLEDGE_MANAGER");
    expect((await body(await getUser(other.id, km))).user.email).toBe(other.email);
    const { token: readerOnly } = await userWithPermissions(["users:read"]);
    const res = await getUser(other.id, readerOnly);
    expect(res.status).toBe(200);
    expect((await body(res)).user).toMatchObject({ id: other.id, email: null });
  });

  it("refuses a non-integer id with 422", async () => {
    const { token } = await fixtureAdmin();
    await expectError(await send("GET", "/api/v1/users/abc", undefined, token), 422, "VALIDATION_ERROR");
  });
});

describe("GET /users", () => {
  it("pages with skip, offset and limit and reports the total", async () => {
    const { token } = await fixtureAdmin();
    const prefix = unique("pg");
    for (let i = 0; i < 3; i++) await createUser({ username: `${prefix}_${i}` });
    const first = await body(await send("GET", `/api/v1/users?search=${prefix}&limit=2`, undefined, token));
    expect(first).toMatchObject({ total: 3, skip: 0, limit: 2 });
    expect(first.users.map((u: { username: string }) => u.username)).toEqual([`${prefix}_0`, `${prefix}_1`]);
    const bySkip = await body(await send("GET", `/api/v1/users?search=${prefix}&skip=2&limit=2`, undefined, token));
    const byOffset = await body(await send("GET", `/api/v1/users?search=${prefix}&offset=2&limit=2`, undefined, token));
    expect(bySkip.users.map((u: { username: string }) => u.username)).toEqual([`${prefix}_2`]);
    expect(byOffset).toEqual(bySkip);
  });

  it("counts every active user by default, the bootstrap admin included", async () => {
    const { token } = await fixtureAdmin();
    await createUser({ isActive: false });
    const json = await body(await send("GET", "/api/v1/users?limit=1000", undefined, token));
    const active = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE is_active = 1").first<{ n: number }>();
    expect(json.total).toBe(active?.n);
    expect(json.users.every((u: { is_active: boolean }) => u.is_active)).toBe(true);
    expect(json.users.some((u: { email: string }) => u.email === "admin@example.test")).toBe(true);
  });

  it("includes inactive users with active_only=false", async () => {
    const { token } = await fixtureAdmin();
    const prefix = unique("act");
    await createUser({ username: `${prefix}_on` });
    await createUser({ username: `${prefix}_off`, isActive: false });
    const onlyActive = await body(await send("GET", `/api/v1/users?search=${prefix}`, undefined, token));
    expect(onlyActive.users.map((u: { username: string }) => u.username)).toEqual([`${prefix}_on`]);
    const all = await body(await send("GET", `/api/v1/users?search=${prefix}&active_only=false`, undefined, token));
    expect(all.total).toBe(2);
  });

  it("refuses an active_only that is not a boolean with 422", async () => {
    const { token } = await fixtureAdmin();
    await expectError(await send("GET", "/api/v1/users?active_only=maybe", undefined, token), 422, "VALIDATION_ERROR");
  });

  it("filters by role", async () => {
    const { token } = await fixtureAdmin();
    const prefix = unique("flt");
    const km = await createUser({ username: `${prefix}_km`, role: "KNOWLEDGE_MANAGER" });
    await createUser({ username: `${prefix}_emp` });
    const byRole = await body(
      await send("GET", `/api/v1/users?search=${prefix}&role=KNOWLEDGE_MANAGER`, undefined, token),
    );
    expect(byRole.users.map((u: { id: number }) => u.id)).toEqual([km.id]);
  });

  it("filters by organization", async () => {
    const { token } = await fixtureAdmin();
    const emp = await createUser();
    const org = await organization();
    await send("PUT", `/api/v1/users/${emp.id}`, { organization_ids: [org.id] }, token);
    const byOrg = await body(await send("GET", `/api/v1/users?organization_id=${org.id}`, undefined, token));
    expect(byOrg).toMatchObject({ total: 1, users: [{ id: emp.id, organization_ids: [org.id] }] });
  });

  /** A user found by `marker` in its full name and another found by it in its email. */
  async function searchable() {
    const marker = unique("mark");
    const named = await createUser();
    await env.DB.prepare("UPDATE users SET full_name = ?1 WHERE id = ?2").bind(`Ada ${marker}`, named.id).run();
    const mailed = await createUser({ email: `${marker}@mail.example.test` });
    return { marker, named, mailed };
  }

  it("searches full names and emails, case-insensitively", async () => {
    const { token } = await fixtureAdmin();
    const { marker, named, mailed } = await searchable();
    const found = await body(await send("GET", `/api/v1/users?search=${marker.toUpperCase()}`, undefined, token));
    expect(found.users.map((u: { id: number }) => u.id).sort()).toEqual([named.id, mailed.id].sort());
  });

  it("searches emails only for callers who may read them", async () => {
    const { marker, named } = await searchable();
    const { token: readerOnly } = await userWithPermissions(["users:read"]);
    const limited = await body(await send("GET", `/api/v1/users?search=${marker}`, undefined, readerOnly));
    expect(limited.users).toEqual([expect.objectContaining({ id: named.id, email: null })]);
  });

  it("treats % and _ in search literally", async () => {
    const { token } = await fixtureAdmin();
    const json = await body(await send("GET", `/api/v1/users?search=${encodeURIComponent("%_%")}`, undefined, token));
    expect(json.total).toBe(0);
  });

  it("refuses an EMPLOYEE with 403", async () => {
    const { token } = await signedIn("EMPLOYEE");
    await expectError(await send("GET", "/api/v1/users", undefined, token), 403, "FORBIDDEN");
  });
});

describe("POST /users", () => {
  it("creates a passwordless user (KC7) who signs in by magic link", async () => {
    const { token } = await fixtureAdmin();
    const username = unique("kc7");
    const res = await send("POST", "/api/v1/users", { username, email: `${username}@Example.test` }, token);
    expect(res.status).toBe(201);
    const json = await body(res);
    expect(json).toMatchObject({
      message: "User created successfully",
      user: { username, email: `${username}@example.test`, auth_provider: "magic_link", role: "EMPLOYEE" },
    });
    const row = await env.DB.prepare("SELECT password_hash FROM users WHERE id = ?1")
      .bind(json.user.id)
      .first<{ password_hash: string | null }>();
    expect(row?.password_hash).toBeNull();
  });

  it("answers a missing email in KC7's words, 'Email is required' (422)", async () => {
    const { token } = await fixtureAdmin();
    const json = await expectError(
      await send("POST", "/api/v1/users", { username: unique("noemail") }, token),
      422,
      "VALIDATION_ERROR",
    );
    expect(json.detail).toEqual([{ loc: ["body", "email"], msg: "Email is required", type: "invalid_type" }]);
  });

  it("creates a user with a password that can then log in", async () => {
    const { token } = await fixtureAdmin();
    const username = unique("pw");
    const res = await send(
      "POST",
      "/api/v1/users",
      {
        username,
        email: `${username}@example.test`,
        password: PASSWORD,
        full_name: "Pat Word",
        role: "KNOWLEDGE_MANAGER",
      },
      token,
    );
    expect(res.status).toBe(201);
    expect((await body(res)).user).toMatchObject({
      auth_provider: "local",
      role: "KNOWLEDGE_MANAGER",
      full_name: "Pat Word",
    });
    const login = await send("POST", "/api/v1/auth/login", { username, password: PASSWORD });
    expect(login.status).toBe(200);
  });

  it("applies the password policy", async () => {
    const { token } = await fixtureAdmin();
    const username = unique("weak");
    const res = await send(
      "POST",
      "/api/v1/users",
      { username, email: `${username}@example.test`, password: "short" },
      token,
    );
    await expectError(res, 422, "VALIDATION_ERROR");
  });

  it("answers 409 USERNAME_TAKEN for a duplicate username, case-insensitively", async () => {
    const { token } = await fixtureAdmin();
    const existing = await createUser();
    const byName = await send(
      "POST",
      "/api/v1/users",
      { username: existing.username.toUpperCase(), email: `${unique("x")}@example.test` },
      token,
    );
    await expectError(byName, 409, "USERNAME_TAKEN");
  });

  it("answers 409 EMAIL_TAKEN for a duplicate email, case-insensitively", async () => {
    const { token } = await fixtureAdmin();
    const existing = await createUser();
    const byEmail = await send(
      "POST",
      "/api/v1/users",
      { username: unique("y"), email: existing.email.toUpperCase() },
      token,
    );
    await expectError(byEmail, 409, "EMAIL_TAKEN");
  });

  it("refuses unknown fields such as email_verified with 422", async () => {
    const { token } = await fixtureAdmin();
    const username = unique("mass");
    const res = await send(
      "POST",
      "/api/v1/users",
      { username, email: `${username}@example.test`, email_verified: true },
      token,
    );
    const json = await expectError(res, 422, "VALIDATION_ERROR");
    expect(json.detail).toEqual([{ loc: ["body", "email_verified"], msg: "Unknown field", type: "unrecognized_keys" }]);
  });

  it("lets the API role create users", async () => {
    const { token } = await signedIn("API");
    const username = unique("api");
    const plain = await send("POST", "/api/v1/users", { username, email: `${username}@example.test` }, token);
    expect(plain.status).toBe(201);
    expect((await body(plain)).user).toMatchObject({ role: "EMPLOYEE", email: `${username}@example.test` });
  });

  it("refuses the API role choosing a new user's roles (403 FIELD_NOT_ALLOWED) and creates nothing", async () => {
    const { token } = await signedIn("API");
    const other = unique("api");
    const withRole = await send(
      "POST",
      "/api/v1/users",
      { username: other, email: `${other}@example.test`, role_ids: [await systemRoleId("ADMIN")] },
      token,
    );
    const json = await expectError(withRole, 403, "FIELD_NOT_ALLOWED");
    expect(json.detail).toContain("role_ids");
    const created = await env.DB.prepare("SELECT 1 FROM users WHERE username = ?1").bind(other).first();
    expect(created).toBeNull();
  });

  it("refuses an EMPLOYEE with 403", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const username = unique("no");
    const res = await send("POST", "/api/v1/users", { username, email: `${username}@example.test` }, token);
    await expectError(res, 403, "FORBIDDEN");
  });
});

describe("GET /users/by-username and /users/by-email", () => {
  it("finds a user by username, case-insensitively", async () => {
    const { token } = await fixtureAdmin();
    const other = await createUser();
    const res = await send("GET", `/api/v1/users/by-username/${other.username.toUpperCase()}`, undefined, token);
    expect(res.status).toBe(200);
    expect((await body(res)).user).toMatchObject({ id: other.id, email: other.email });
  });

  it("answers 404 USER_NOT_FOUND for an unknown username", async () => {
    const { token } = await fixtureAdmin();
    const missing = await send("GET", "/api/v1/users/by-username/nobody-here", undefined, token);
    expect((await expectError(missing, 404, "USER_NOT_FOUND")).detail).toBe("User with username nobody-here not found");
  });

  it("lets an EMPLOYEE look up itself by username", async () => {
    const { user, token } = await signedIn("EMPLOYEE");
    expect((await send("GET", `/api/v1/users/by-username/${user.username}`, undefined, token)).status).toBe(200);
  });

  it("answers 404 to an EMPLOYEE looking up another user by username", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const other = await createUser();
    await expectError(
      await send("GET", `/api/v1/users/by-username/${other.username}`, undefined, token),
      404,
      "USER_NOT_FOUND",
    );
  });

  it("finds a user by email for ADMIN, KNOWLEDGE_MANAGER and API", async () => {
    const other = await createUser();
    for (const role of ["ADMIN", "KNOWLEDGE_MANAGER", "API"] as const) {
      const { token } = await signedIn(role);
      const res = await send("GET", `/api/v1/users/by-email/${encodeURIComponent(other.email)}`, undefined, token);
      expect(res.status, role).toBe(200);
      expect((await body(res)).user).toMatchObject({ id: other.id, email: other.email });
    }
  });

  it("refuses an EMPLOYEE looking up by email with 403", async () => {
    const other = await createUser();
    const { token: employee } = await signedIn("EMPLOYEE");
    await expectError(
      await send("GET", `/api/v1/users/by-email/${other.email}`, undefined, employee),
      403,
      "FORBIDDEN",
    );
  });

  it("answers 404 USER_NOT_FOUND for an unknown email", async () => {
    const { token } = await fixtureAdmin();
    await expectError(
      await send("GET", "/api/v1/users/by-email/ghost@example.test", undefined, token),
      404,
      "USER_NOT_FOUND",
    );
  });

  it("answers 422 for a malformed email", async () => {
    const { token } = await fixtureAdmin();
    await expectError(
      await send("GET", "/api/v1/users/by-email/not-an-email", undefined, token),
      422,
      "VALIDATION_ERROR",
    );
  });
});

describe("PUT and PATCH /users/{id}", () => {
  it("lets a user edit its own profile fields", async () => {
    const { user, token } = await signedIn("EMPLOYEE");
    const changes = { full_name: "New Name", office_location: "Office B", department: "Ops", receive_email: false };
    for (const method of ["PUT", "PATCH"]) {
      const res = await send(method, `/api/v1/users/${user.id}`, changes, token);
      expect(res.status).toBe(200);
      expect(await body(res)).toMatchObject({ message: "User updated successfully", user: changes });
    }
  });

  it("refuses a self-edit of role, role_ids, organization_ids or is_active with 403 and changes nothing", async () => {
    const { user, token } = await signedIn("EMPLOYEE");
    const adminRole = await systemRoleId("ADMIN");
    const org = await organization();
    for (const attempt of [
      { role: "ADMIN" },
      { role_ids: [adminRole] },
      { organization_ids: [org.id] },
      { is_active: false },
      { full_name: "Sneaky", role: "ADMIN" },
    ]) {
      const res = await send("PATCH", `/api/v1/users/${user.id}`, attempt, token);
      await expectError(res, 403, "FIELD_NOT_ALLOWED");
    }
    const me = (await body(await getUser(user.id, token))).user;
    expect(me).toMatchObject({ role: "EMPLOYEE", organization_ids: [], is_active: true, full_name: null });
  });

  it("refuses fields outside the schema (email_verified, password_hash, id) with 422", async () => {
    const { user, token } = await signedIn("EMPLOYEE");
    for (const attempt of [{ email_verified: true }, { password_hash: "x" }, { id: 1 }, { auth_provider: "local" }]) {
      await expectError(await send("PUT", `/api/v1/users/${user.id}`, attempt, token), 422, "VALIDATION_ERROR");
    }
  });

  it("answers 404 to an EMPLOYEE editing another user", async () => {
    const other = await createUser();
    const { token: employee } = await signedIn("EMPLOYEE");
    await expectError(
      await send("PATCH", `/api/v1/users/${other.id}`, { full_name: "X" }, employee),
      404,
      "USER_NOT_FOUND",
    );
  });

  it("answers 403 to a reader without users:update editing another user", async () => {
    const other = await createUser();
    const { token: km } = await signedIn("KNOWLEDGE_MANAGER");
    await expectError(await send("PATCH", `/api/v1/users/${other.id}`, { full_name: "X" }, km), 403, "FORBIDDEN");
  });

  it("refuses changing to another user's email with 409 EMAIL_TAKEN", async () => {
    const { user, token } = await signedIn("EMPLOYEE");
    const other = await createUser();
    await expectError(
      await send("PATCH", `/api/v1/users/${user.id}`, { email: other.email }, token),
      409,
      "EMAIL_TAKEN",
    );
  });

  it("refuses changing to another user's username with 409 USERNAME_TAKEN", async () => {
    const { user, token } = await signedIn("EMPLOYEE");
    const other = await createUser();
    await expectError(
      await send("PATCH", `/api/v1/users/${user.id}`, { username: other.username }, token),
      409,
      "USERNAME_TAKEN",
    );
  });

  it("resets email_verified on an email change made by an administrator", async () => {
    const { user } = await signedIn("EMPLOYEE");
    const { token } = await fixtureAdmin();
    await env.DB.prepare("UPDATE users SET email_verified = 1 WHERE id = ?1").bind(user.id).run();
    const email = `${unique("new")}@example.test`;
    const res = await send("PATCH", `/api/v1/users/${user.id}`, { email }, token);
    expect((await body(res)).user).toMatchObject({ email, email_verified: false });
  });

  it("lets an ADMIN change roles and memberships", async () => {
    const { token } = await fixtureAdmin();
    const target = await createUser();
    const org = await organization();
    const res = await send(
      "PUT",
      `/api/v1/users/${target.id}`,
      { role: "KNOWLEDGE_MANAGER", organization_ids: [org.id] },
      token,
    );
    expect(res.status).toBe(200);
    expect((await body(res)).user).toMatchObject({
      role: "KNOWLEDGE_MANAGER",
      role_ids: [await systemRoleId("KNOWLEDGE_MANAGER")],
      organization_ids: [org.id],
    });
  });

  it("answers 404 ROLE_NOT_FOUND for an unknown role id", async () => {
    const { token } = await fixtureAdmin();
    const target = await createUser();
    await expectError(
      await send("PUT", `/api/v1/users/${target.id}`, { role_ids: [999_999] }, token),
      404,
      "ROLE_NOT_FOUND",
    );
  });

  it("judges a body wrong in two ways in the old order, though the user, roles and organizations are read together", async () => {
    const { token } = await fixtureAdmin();
    const target = await createUser();
    const unknown = { role_ids: [999_999], organization_ids: [999_999] };
    await expectError(await send("PUT", `/api/v1/users/99999999`, unknown, token), 404, "USER_NOT_FOUND");
    const both = await expectError(
      await send("PUT", `/api/v1/users/${target.id}`, unknown, token),
      404,
      "ORGANIZATION_NOT_FOUND",
    );
    expect(both.detail).toContain("999999");
    // A caller who may not set access fields is told so, not that the role it names is unknown.
    const self = await signedIn("EMPLOYEE");
    await expectError(
      await send("PATCH", `/api/v1/users/${self.user.id}`, { department: "X", role_ids: [999_999] }, self.token),
      403,
      "FIELD_NOT_ALLOWED",
    );
  });

  it("refuses role together with role_ids with 422", async () => {
    const { token } = await fixtureAdmin();
    const target = await createUser();
    await expectError(
      await send("PUT", `/api/v1/users/${target.id}`, { role: "API", role_ids: [] }, token),
      422,
      "VALIDATION_ERROR",
    );
  });

  it("limits the length of strings", async () => {
    const { user, token } = await signedIn("EMPLOYEE");
    await expectError(
      await send("PATCH", `/api/v1/users/${user.id}`, { full_name: "x".repeat(201) }, token),
      422,
      "VALIDATION_ERROR",
    );
  });

  it("limits the length of arrays", async () => {
    const user = await createUser();
    const { token: adminToken } = await fixtureAdmin();
    const many = Array.from({ length: 51 }, (_, i) => i + 1);
    await expectError(
      await send("PATCH", `/api/v1/users/${user.id}`, { role_ids: many }, adminToken),
      422,
      "VALIDATION_ERROR",
    );
  });
});

describe("privilege escalation through user roles", () => {
  const MANAGER = ["users:read", "users:update", "users:manage_access", "trainings:read"];

  it("refuses to let an access manager grant ADMIN or KNOWLEDGE_MANAGER, to itself or others", async () => {
    const { user, token } = await userWithPermissions(MANAGER);
    const target = await createUser();
    for (const [id, change] of [
      [user.id, { role: "ADMIN" }],
      [target.id, { role_ids: [await systemRoleId("ADMIN")] }],
      [target.id, { role: "KNOWLEDGE_MANAGER" }],
    ] as const) {
      const json = await expectError(
        await send("PATCH", `/api/v1/users/${id}`, change, token),
        403,
        "PRIVILEGE_ESCALATION",
      );
      expect(json.detail).toMatch(/you don't hold/);
    }
    expect((await body(await getUser(target.id, token))).user.role).toBe("EMPLOYEE");
  });

  it("lets it assign a role whose permissions it holds", async () => {
    const { token } = await userWithPermissions(MANAGER);
    const lesser = await customRole(["trainings:read"]);
    const target = await createUser({ role: null });
    const res = await send("PATCH", `/api/v1/users/${target.id}`, { role_ids: [lesser.id] }, token);
    expect(res.status).toBe(200);
    expect((await body(res)).user.role_ids).toEqual([lesser.id]);
  });

  it("refuses to let it change, demote or deactivate a more privileged user", async () => {
    const { token } = await userWithPermissions(MANAGER);
    const { user: boss } = await admin();
    for (const change of [
      { email: `${unique("takeover")}@example.test` },
      { is_active: false },
      { role: "EMPLOYEE" },
    ]) {
      await expectError(await send("PATCH", `/api/v1/users/${boss.id}`, change, token), 403, "PRIVILEGE_ESCALATION");
    }
    const row = await env.DB.prepare("SELECT email, is_active FROM users WHERE id = ?1")
      .bind(boss.id)
      .first<{ email: string; is_active: number }>();
    expect(row).toEqual({ email: boss.email, is_active: 1 });
  });
});

describe("deactivation", () => {
  it("soft-deletes a user: deactivated, sessions revoked, its earlier token refused on the next request", async () => {
    const { token } = await fixtureAdmin();
    const { user, token: victim } = await signedIn("EMPLOYEE");
    expect((await send("GET", "/api/v1/users/me", undefined, victim)).status).toBe(200);
    const res = await send("DELETE", `/api/v1/users/${user.id}`, undefined, token);
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({ message: "User deactivated successfully" });
    await expectError(await send("GET", "/api/v1/users/me", undefined, victim), 401, "INVALID_TOKEN");
    const sessions = await env.DB.prepare(
      "SELECT count(*) AS n FROM sessions WHERE user_id = ?1 AND revoked_at IS NULL",
    )
      .bind(user.id)
      .first<{ n: number }>();
    expect(sessions?.n).toBe(0);
    expect((await body(await getUser(user.id, token))).user.is_active).toBe(false);
  });

  it("refuses a deactivated user whose session was not revoked (401 ACCOUNT_DISABLED)", async () => {
    const { token: adminToken } = await fixtureAdmin();
    const { user, token } = await signedIn("EMPLOYEE");
    const res = await send("PATCH", `/api/v1/users/${user.id}`, { is_active: false }, adminToken);
    expect((await body(res)).user.is_active).toBe(false);
    await expectError(await send("GET", "/api/v1/users/me", undefined, token), 401, "INVALID_TOKEN");
    const fresh = await tokenFor(user.id);
    await expectError(await send("GET", "/api/v1/users/me", undefined, fresh), 401, "ACCOUNT_DISABLED");
  });

  it("refuses an EMPLOYEE with 403", async () => {
    const other = await createUser();
    const { token: employee } = await signedIn("EMPLOYEE");
    await expectError(await send("DELETE", `/api/v1/users/${other.id}`, undefined, employee), 403, "FORBIDDEN");
  });

  it("answers 404 for a missing user", async () => {
    const { token } = await fixtureAdmin();
    await expectError(await send("DELETE", "/api/v1/users/99999999", undefined, token), 404, "USER_NOT_FOUND");
  });
});

describe("admin users (Synapse)", () => {
  it("lists users by status", async () => {
    const { token } = await fixtureAdmin();
    await createUser({ isActive: false });
    const inactive = await body(await send("GET", "/api/v1/admin/users?status=inactive&limit=1000", undefined, token));
    expect(inactive.users.length).toBeGreaterThan(0);
    expect(inactive.users.every((u: { is_active: boolean }) => !u.is_active)).toBe(true);
    const active = await body(await send("GET", "/api/v1/admin/users?status=active&limit=1000", undefined, token));
    expect(active.users.every((u: { is_active: boolean }) => u.is_active)).toBe(true);
    const both = await body(await send("GET", "/api/v1/admin/users?limit=1", undefined, token));
    expect(both.total).toBe(active.total + inactive.total);
  });

  it("refuses an unknown status with 422", async () => {
    const { token } = await fixtureAdmin();
    await expectError(await send("GET", "/api/v1/admin/users?status=gone", undefined, token), 422, "VALIDATION_ERROR");
  });

  it("toggles a user's status; deactivation refuses its token on the next request", async () => {
    const { token } = await fixtureAdmin();
    const { user, token: victim } = await signedIn("EMPLOYEE");
    const off = await send("PATCH", `/api/v1/admin/users/${user.id}/toggle-status`, undefined, token);
    expect(off.status).toBe(200);
    expect(await body(off)).toMatchObject({
      message: "User status updated successfully",
      user: { id: user.id, is_active: false },
    });
    expect((await send("GET", "/api/v1/users/me", undefined, victim)).status).toBe(401);
    const on = await send("PATCH", `/api/v1/admin/users/${user.id}/toggle-status`, undefined, token);
    expect((await body(on)).user.is_active).toBe(true);
  });

  it("answers 404 when toggling a missing user", async () => {
    const { token } = await fixtureAdmin();
    await expectError(
      await send("PATCH", "/api/v1/admin/users/99999999/toggle-status", undefined, token),
      404,
      "USER_NOT_FOUND",
    );
  });

  it("refuses EMPLOYEE and KNOWLEDGE_MANAGER with 403", async () => {
    const other = await createUser();
    for (const role of ["EMPLOYEE", "KNOWLEDGE_MANAGER"] as const) {
      const { token } = await signedIn(role);
      await expectError(await send("GET", "/api/v1/admin/users", undefined, token), 403, "FORBIDDEN");
      await expectError(
        await send("PATCH", `/api/v1/admin/users/${other.id}/toggle-status`, undefined, token),
        403,
        "FORBIDDEN",
      );
    }
  });
});

describe("last active ADMIN", () => {
  // The LAST_ADMIN guard counts every active ADMIN in the database, and this file's database also
  // holds the bootstrap admin (ADMIN_EMAIL), the fixture admin and the admins of earlier tests. So
  // each test here starts with every ADMIN deactivated, creates the admins it is about, and the
  // others are reactivated after it (later tests still act as the fixture admin).
  let parked: number[] = [];
  beforeEach(async () => {
    const { results } = await env.DB.prepare(
      `UPDATE users SET is_active = 0 WHERE is_active = 1 AND id IN (
         SELECT ur.user_id FROM user_roles ur JOIN roles r ON r.id = ur.role_id
          WHERE r.name = 'ADMIN' AND r.organization_id IS NULL) RETURNING id`,
    ).all<{ id: number }>();
    parked = results.map((r) => r.id);
  });
  afterEach(async () => {
    await env.DB.prepare("UPDATE users SET is_active = 1 WHERE id IN (SELECT value FROM json_each(?1))")
      .bind(JSON.stringify(parked))
      .run();
  });

  /** The last admin is still an active ADMIN with its profile untouched. */
  async function expectUnchanged(user: { id: number }, token: string) {
    const me = (await body(await getUser(user.id, token))).user;
    expect(me).toMatchObject({ role: "ADMIN", is_active: true, full_name: null });
  }

  it("can't be deleted (409 LAST_ADMIN)", async () => {
    const { user, token } = await admin();
    await expectError(await send("DELETE", `/api/v1/users/${user.id}`, undefined, token), 409, "LAST_ADMIN");
    await expectUnchanged(user, token);
  });

  it("can't be toggled inactive (409 LAST_ADMIN)", async () => {
    const { user, token } = await admin();
    await expectError(
      await send("PATCH", `/api/v1/admin/users/${user.id}/toggle-status`, undefined, token),
      409,
      "LAST_ADMIN",
    );
    await expectUnchanged(user, token);
  });

  it("can't be deactivated through an update (409 LAST_ADMIN)", async () => {
    const { user, token } = await admin();
    await expectError(await send("PATCH", `/api/v1/users/${user.id}`, { is_active: false }, token), 409, "LAST_ADMIN");
    await expectUnchanged(user, token);
  });

  it("can't be demoted (409 LAST_ADMIN), and no other field of that update applies", async () => {
    const { user, token } = await admin();
    const demote = await send("PUT", `/api/v1/users/${user.id}`, { full_name: "Half Done", role: "EMPLOYEE" }, token);
    await expectError(demote, 409, "LAST_ADMIN");
    await expectUnchanged(user, token);
  });

  it("can be demoted while another active ADMIN remains", async () => {
    const { token } = await admin();
    const { user: second } = await admin();
    const res = await send("PATCH", `/api/v1/users/${second.id}`, { role: "EMPLOYEE" }, token);
    expect(res.status).toBe(200);
    expect((await body(res)).user.role).toBe("EMPLOYEE");
  });

  it("survives two admins deleting each other at once: one of them stays active", async () => {
    const a = await admin();
    const b = await admin();
    const results = await Promise.all([
      send("DELETE", `/api/v1/users/${b.user.id}`, undefined, a.token),
      send("DELETE", `/api/v1/users/${a.user.id}`, undefined, b.token),
    ]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const active = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE id IN (?1, ?2) AND is_active = 1")
      .bind(a.user.id, b.user.id)
      .first<{ n: number }>();
    expect(active?.n).toBe(1);
  });
});

describe("D1 round trips of the lists", () => {
  it("costs the same trips for a page of 1 and of 50: authentication, then one batch with the count", async () => {
    const { token } = await fixtureAdmin();
    const org = await organization();
    for (let i = 0; i < 5; i++) {
      const u = await createUser({ role: "KNOWLEDGE_MANAGER" });
      await send("PUT", `/api/v1/users/${u.id}`, { organization_ids: [org.id] }, token);
    }
    await app.request("/api/v1/hello", {}, env); // the admin bootstrap runs once per isolate
    for (const path of [
      "/api/v1/users",
      "/api/v1/admin/users",
      "/api/v1/organizations",
      "/api/v1/roles",
      "/api/v1/permissions",
    ]) {
      const trips: number[] = [];
      for (const limit of [1, 50]) {
        const { db, counter } = countingDb(env.DB);
        const res = await app.request(
          `${path}?limit=${limit}`,
          { headers: { Authorization: `Bearer ${token}` } },
          { ...env, DB: db },
        );
        expect(res.status, path).toBe(200);
        trips.push(counter.trips);
      }
      expect(trips, path).toEqual([2, 2]);
    }
  });
});

describe("the KC7 role name MANAGER", () => {
  it("creates a user with role MANAGER as a KNOWLEDGE_MANAGER", async () => {
    const { token } = await fixtureAdmin();
    const username = unique("mgr");
    const res = await send(
      "POST",
      "/api/v1/users",
      { username, email: `${username}@example.test`, role: "MANAGER" },
      token,
    );
    expect(res.status).toBe(201);
    expect((await body(res)).user).toMatchObject({
      role: "KNOWLEDGE_MANAGER",
      role_ids: [await systemRoleId("KNOWLEDGE_MANAGER")],
    });
  });

  it.each(["PUT", "PATCH"])("sets role MANAGER through %s as KNOWLEDGE_MANAGER", async (method) => {
    const { token } = await fixtureAdmin();
    const target = await createUser();
    const res = await send(method, `/api/v1/users/${target.id}`, { role: "MANAGER" }, token);
    expect(res.status).toBe(200);
    expect((await body(res)).user).toMatchObject({ role: "KNOWLEDGE_MANAGER" });
  });

  it.each(["MANAGER", "Manager"])("filters GET /users?role=%s as KNOWLEDGE_MANAGER", async (role) => {
    const { token } = await fixtureAdmin();
    const prefix = unique("alias");
    const km = await createUser({ username: `${prefix}_km`, role: "KNOWLEDGE_MANAGER" });
    await createUser({ username: `${prefix}_emp` });
    const listed = await body(await send("GET", `/api/v1/users?search=${prefix}&role=${role}`, undefined, token));
    expect(listed.users.map((u: { id: number; role: string }) => [u.id, u.role])).toEqual([
      [km.id, "KNOWLEDGE_MANAGER"],
    ]);
  });

  it("reserves the alias as a role name (409 ROLE_NAME_TAKEN)", async () => {
    const { token } = await fixtureAdmin();
    await expectError(await send("POST", "/api/v1/roles", { name: "Manager" }, token), 409, "ROLE_NAME_TAKEN");
  });

  it("still refuses an unknown system role name (422)", async () => {
    const { token } = await fixtureAdmin();
    const target = await createUser();
    await expectError(
      await send("PATCH", `/api/v1/users/${target.id}`, { role: "SUPERVISOR" }, token),
      422,
      "VALIDATION_ERROR",
    );
  });
});
