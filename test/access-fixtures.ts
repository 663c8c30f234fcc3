import { expect } from "vitest";
import type { SystemRole } from "../src/lib/permissions";
import { createUser, signedIn, type TestUser, tokenFor } from "./factories";
import { body, send, unique } from "./helpers";

/** Fixtures shared by the users, organizations and roles/permissions tests, built through the API. */

/**
 * A new ADMIN of its own and its token, for tests in which that admin's own state matters (it is
 * deactivated, demoted, or must be the last active ADMIN). Tests that merely act as an ADMIN use
 * `fixtureAdmin()`.
 */
export const admin = () => signedIn("ADMIN");

let shared: Promise<{ user: TestUser; token: string }> | undefined;

/**
 * The one ADMIN that the fixtures below (and tests that only need an ADMIN's token) act as: created
 * on first use and then reused, so fixtures don't add an ADMIN per call.
 *
 * Cached per test file: @cloudflare/vitest-plugin gives each test file its own D1 storage and its own
 * module instances (storage is isolated per file, not per test), so the cache and the user it holds
 * live and die together, and tests of one file share the admin. A test must not deactivate, demote or
 * delete it without restoring it.
 */
export function fixtureAdmin(): Promise<{ user: TestUser; token: string }> {
  shared ??= admin().catch((err: unknown) => {
    shared = undefined;
    throw err;
  });
  return shared;
}

let permissionIdsByKey: Map<string, number> | undefined;

/** The ids of global permissions by key (`users:read`), read once through `GET /permissions`. */
export async function permissionIds(keys: readonly string[]): Promise<number[]> {
  if (!permissionIdsByKey) {
    const { token } = await fixtureAdmin();
    const res = await send("GET", "/api/v1/permissions?limit=1000", undefined, token);
    expect(res.status).toBe(200);
    const list = (await body(res)).permissions as { id: number; key: string; organization_id: number | null }[];
    permissionIdsByKey = new Map(list.filter((p) => p.organization_id === null).map((p) => [p.key, p.id]));
  }
  return keys.map((k) => {
    const id = permissionIdsByKey?.get(k);
    if (id === undefined) throw new Error(`no permission ${k}`);
    return id;
  });
}

/** The id of a system role, by name. */
export async function systemRoleId(name: SystemRole): Promise<number> {
  const { token } = await fixtureAdmin();
  const res = await send("GET", "/api/v1/roles?limit=1000", undefined, token);
  const role = ((await body(res)).roles as { id: number; name: string; is_system: boolean }[]).find(
    (r) => r.is_system && r.name === name,
  );
  if (!role) throw new Error(`no role ${name}`);
  return role.id;
}

/** A custom role granting `keys`, created by an ADMIN (optionally scoped to an organization). */
export async function customRole(
  keys: readonly string[],
  organizationId?: number,
): Promise<{ id: number; name: string }> {
  const { token } = await fixtureAdmin();
  const name = unique("role");
  const res = await send(
    "POST",
    "/api/v1/roles",
    { name, organization_id: organizationId ?? null, permission_ids: await permissionIds(keys) },
    token,
  );
  expect(res.status).toBe(201);
  return { id: (await body(res)).role.id, name };
}

/** A new user holding exactly `roleIds` (assigned by an ADMIN through the API), with a token. */
export async function userWithRoles(roleIds: number[], organizationIds: number[] = []) {
  const { token: adminToken } = await fixtureAdmin();
  const user = await createUser({ role: null });
  const res = await send(
    "PUT",
    `/api/v1/users/${user.id}`,
    { role_ids: roleIds, organization_ids: organizationIds },
    adminToken,
  );
  expect(res.status).toBe(200);
  return { user, token: await tokenFor(user.id) };
}

/** A user holding only a custom role with `keys`. */
export async function userWithPermissions(keys: readonly string[]) {
  const role = await customRole(keys);
  return { ...(await userWithRoles([role.id])), role };
}

/** An organization created by an ADMIN, with `adminIds` as its admins. */
export async function organization(adminIds: number[] = [], extra: Record<string, unknown> = {}) {
  const { token } = await fixtureAdmin();
  const res = await send(
    "POST",
    "/api/v1/organizations",
    { name: unique("Org "), admin_ids: adminIds, ...extra },
    token,
  );
  expect(res.status).toBe(201);
  return (await body(res)).organization as { id: number; name: string; admin_ids: number[] };
}

/** A new EMPLOYEE who administers a new organization, with a token. */
export async function orgAdmin() {
  const { user, token } = await signedIn("EMPLOYEE");
  const org = await organization([user.id]);
  return { user, token, org };
}

/**
 * A new user whom organization admin `adminId` can see (a member of another organization it
 * administers, added by an ADMIN): an organization admin may only add users it can already see.
 */
export async function colleagueOf(adminId: number): Promise<TestUser> {
  const { token } = await fixtureAdmin();
  const user = await createUser();
  const shared = await organization([adminId]);
  const res = await send("PUT", `/api/v1/organizations/${shared.id}/members/${user.id}`, {}, token);
  expect(res.status).toBe(200);
  return user;
}
