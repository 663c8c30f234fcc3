import { describe, expect, it } from "vitest";
import {
  hashPassword,
  PBKDF2_ITERATIONS,
  PBKDF2_MAX_ITERATIONS,
  parseStored,
  verifyPassword,
} from "../src/lib/password";
import { body, env, send, unique } from "./helpers";

const PEPPER = "test-pepper";

describe("password hashing", () => {
  it("stays within the 100,000 PBKDF2 iterations that production Workers allow", () => {
    expect(PBKDF2_ITERATIONS).toBeLessThanOrEqual(100_000);
    expect(PBKDF2_MAX_ITERATIONS).toBeLessThanOrEqual(100_000);
  });

  it("writes a self-describing hash with a per-user salt", async () => {
    const a = await hashPassword("same password here", PEPPER);
    const b = await hashPassword("same password here", PEPPER);
    expect(a).not.toBe(b);
    expect(parseStored(a)?.iterations).toBe(PBKDF2_ITERATIONS);
    expect(await verifyPassword("same password here", a, PEPPER)).toEqual({ ok: true, needsRehash: false });
    expect((await verifyPassword("same password here", a, "another pepper")).ok).toBe(false);
  });

  it("refuses a stored hash that claims more iterations than the cap, before hashing", async () => {
    const stored = await hashPassword("capped password", PEPPER);
    const inflated = stored.replace("$100000$", "$100001$");
    expect(parseStored(inflated)).toBeNull();
    expect(await verifyPassword("capped password", inflated, PEPPER)).toEqual({ ok: false, needsRehash: false });
    await expect(hashPassword("capped password", PEPPER, 100_001)).rejects.toThrow(/iterations/);
  });

  it("upgrades a hash with fewer iterations on the next successful login", async () => {
    const username = unique("old");
    const weak = await hashPassword("an older password", env.PASSWORD_PEPPER, 1_000);
    await env.DB.prepare("INSERT INTO users (username, email, password_hash) VALUES (?1, ?2, ?3)")
      .bind(username, `${username}@example.test`, weak)
      .run();
    const res = await send("POST", "/api/v1/auth/login", { username, password: "an older password" });
    expect(res.status).toBe(200);
    expect((await body(res)).user.username).toBe(username);
    const row = await env.DB.prepare("SELECT password_hash FROM users WHERE username = ?1")
      .bind(username)
      .first<{ password_hash: string }>();
    expect(row?.password_hash.startsWith(`pbkdf2-sha256$${PBKDF2_ITERATIONS}$`)).toBe(true);
  });
});
