import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { configOf } from "../src/lib/config";
import { keyRing, signToken } from "../src/lib/jwt";
import type { SystemRole } from "../src/lib/permissions";
import { body, send, unique } from "./helpers";

export interface TestUser {
  id: number;
  username: string;
  email: string;
}

/**
 * Inserts a user holding `role` (a system role, or none) straight into D1. No password: tests that
 * need password sign-in go through `POST /auth/register` instead.
 */
export async function createUser(
  opts: { role?: SystemRole | null; username?: string; email?: string; isActive?: boolean } = {},
): Promise<TestUser> {
  const username = opts.username ?? unique("user");
  const email = opts.email ?? `${username}@example.test`;
  const row = await env.DB.prepare("INSERT INTO users (username, email, is_active) VALUES (?1, ?2, ?3) RETURNING id")
    .bind(username, email.toLowerCase(), opts.isActive === false ? 0 : 1)
    .first<{ id: number }>();
  if (!row) throw new Error("insert failed");
  const role = opts.role === undefined ? "EMPLOYEE" : opts.role;
  if (role) {
    await env.DB.prepare(
      "INSERT INTO user_roles (user_id, role_id) SELECT ?1, id FROM roles WHERE name = ?2 AND organization_id IS NULL",
    )
      .bind(row.id, role)
      .run();
  }
  return { id: row.id, username, email: email.toLowerCase() };
}

/** Opens a session for the user and returns a valid access token for it. */
export async function tokenFor(userId: number, opts: { ttlSeconds?: number; now?: number } = {}): Promise<string> {
  const sid = crypto.randomUUID();
  const expires = new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString();
  // As a real sign-in does, the session starts as used now (see `openSession`).
  await env.DB.prepare("INSERT INTO sessions (id, user_id, expires_at, last_used_at) VALUES (?1, ?2, ?3, ?4)")
    .bind(sid, userId, expires, new Date().toISOString())
    .run();
  const ring = await keyRing(env.JWT_PRIVATE_KEY, env.JWT_PREVIOUS_PUBLIC_KEY, configOf(env).jwt);
  const { token } = await signToken(
    ring,
    "access",
    { sub: String(userId), sid },
    opts.ttlSeconds ?? 900,
    opts.now ?? Math.floor(Date.now() / 1000),
  );
  return token;
}

/** A new user with `role` and an access token: `const { user, token } = await signedIn("ADMIN")`. */
export async function signedIn(role: SystemRole | null = "EMPLOYEE", opts: { username?: string } = {}) {
  const user = await createUser({ role, ...opts });
  const token = await tokenFor(user.id);
  return { user, token };
}

/**
 * Creates a training through `POST /trainings` as the holder of `token` (who needs trainings:create)
 * and returns it: published, with a unique title, unless `overrides` say otherwise.
 */
// biome-ignore lint/suspicious/noExplicitAny: tests read the training's fields loosely, as `body()` does.
export async function createTraining(token: string, overrides: Record<string, unknown> = {}): Promise<any> {
  const res = await send(
    "POST",
    "/api/v1/trainings",
    { title: unique("Training "), category: "TECHNICAL", level: "BEGINNER", status: "PUBLISHED", ...overrides },
    token,
  );
  expect(res.status).toBe(201);
  return (await body(res)).training;
}

/** The password of users made by `registered()`. */
export const REGISTERED_PASSWORD = "correct horse battery staple";

/**
 * A new EMPLOYEE registered through `POST /auth/register` (so it signs in with a password), with its
 * tokens: real ones, carrying its authorization (`az`) as a sign-in's do.
 */
export async function registered(prefix = "reg") {
  const username = unique(prefix);
  const email = `${username}@example.test`;
  const res = await send("POST", "/api/v1/auth/register", { username, email, password: REGISTERED_PASSWORD });
  expect(res.status).toBe(201);
  const json = await body(res);
  return {
    id: json.user.id as number,
    username,
    email,
    access: json.access_token as string,
    refresh: json.refresh_token as string,
  };
}

export type Registered = Awaited<ReturnType<typeof registered>>;
