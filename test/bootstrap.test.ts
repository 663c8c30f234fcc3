import { describe, expect, it } from "vitest";
import { systemClock } from "../src/lib/clock";
import { depsOf } from "../src/middleware/deps";
import { ensureAdmin as ensureAdminWith } from "../src/modules/access/bootstrap";
import { env } from "./helpers";

/** Runs the bootstrap over `bindings` (the test environment, or a variant of it). */
const ensureAdmin = (bindings: Env) => ensureAdminWith(depsOf(bindings, systemClock));

const adminCount = async () =>
  (
    await env.DB.prepare(
      "SELECT count(*) AS n FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE r.name = 'ADMIN'",
    ).first<{ n: number }>()
  )?.n;

// This file has its own storage: no request has created the admin yet.
describe("first administrator", () => {
  it("does nothing without ADMIN_EMAIL and ADMIN_PASSWORD", async () => {
    expect(await ensureAdmin({ ...env, ADMIN_EMAIL: "", ADMIN_PASSWORD: "" })).toBe("skipped");
    expect(await adminCount()).toBe(0);
  });

  it("is created exactly once under concurrent first runs (several isolates at once)", async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => ensureAdmin(env)));
    expect(results.every((r) => r === "created" || r === "exists")).toBe(true);
    expect(await adminCount()).toBe(1);
    const users = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE email = ?1")
      .bind(env.ADMIN_EMAIL)
      .first<{ n: number }>();
    expect(users?.n).toBe(1);
  });

  it("is not created again once an ADMIN exists, even for another ADMIN_EMAIL", async () => {
    expect(await ensureAdmin({ ...env, ADMIN_EMAIL: "someone-else@example.test" })).toBe("exists");
    expect(await adminCount()).toBe(1);
    const other = await env.DB.prepare(
      "SELECT count(*) AS n FROM users WHERE email = 'someone-else@example.test'",
    ).first<{
      n: number;
    }>();
    expect(other?.n).toBe(0);
  });
});

describe("first administrator, hardened (issue 19)", () => {
  it("refuses to create an admin whose ADMIN_PASSWORD is common, short or its own email (attack: guessing the first admin)", async () => {
    await env.DB.prepare("DELETE FROM user_roles").run();
    for (const ADMIN_PASSWORD of ["welcome2026", "Passw0rd!", "short", "boss@example.test"]) {
      const bindings = { ...env, ADMIN_EMAIL: "boss@example.test", ADMIN_PASSWORD };
      expect({ ADMIN_PASSWORD, result: await ensureAdmin(bindings) }).toEqual({
        ADMIN_PASSWORD,
        result: "weak_password",
      });
    }
    expect(await adminCount()).toBe(0);
  });

  it("gives the admin a username not derived from ADMIN_EMAIL (attack: guessing the admin's login name)", async () => {
    await env.DB.prepare("DELETE FROM user_roles").run();
    const email = "jane.admin@example.test";
    expect(await ensureAdmin({ ...env, ADMIN_EMAIL: email })).toBe("created");
    const row = await env.DB.prepare("SELECT username FROM users WHERE email = ?1")
      .bind(email)
      .first<{ username: string }>();
    expect(row?.username).toMatch(/^admin-[0-9a-f]{10}$/);
    expect(row?.username).not.toContain("jane");
  });
});

describe("first administrator and an existing account", () => {
  it("never promotes an existing non-admin user who holds ADMIN_EMAIL", async () => {
    await env.DB.prepare("DELETE FROM user_roles").run();
    await env.DB.prepare("DELETE FROM users").run();
    await env.DB.prepare("INSERT INTO users (username, email) VALUES ('squatter', 'taken-admin@example.test')").run();
    expect(await ensureAdmin({ ...env, ADMIN_EMAIL: "taken-admin@example.test" })).toBe("email_taken");
    expect(await adminCount()).toBe(0);
  });
});

describe("first administrator without the common-password list", () => {
  it("is refused, not created unchecked, while the list can't be loaded; a later run creates it", async () => {
    await env.DB.prepare("DELETE FROM user_roles").run();
    const unavailable = { fetch: async () => new Response("Not Found", { status: 404 }) } as unknown as Fetcher;
    const bindings = { ...env, ADMIN_EMAIL: "later-admin@example.test" };
    await expect(ensureAdmin({ ...bindings, ASSETS: unavailable })).rejects.toMatchObject({
      status: 503,
      code: "PASSWORD_POLICY_UNAVAILABLE",
    });
    expect(await adminCount()).toBe(0);
    expect(await ensureAdmin(bindings)).toBe("created");
    expect(await adminCount()).toBe(1);
  });
});
