import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { ALL_PERMISSIONS, PERMISSION_NAMES, SYSTEM_ROLE_PERMISSIONS } from "../src/lib/permissions";
import {
  customRole,
  fixtureAdmin,
  orgAdmin,
  organization,
  permissionIds,
  systemRoleId,
  userWithPermissions,
  userWithRoles,
} from "./access-fixtures";
import { signedIn } from "./factories";
import { body, call, env, expectError, send, unique } from "./helpers";

const ROLES = "/api/v1/roles";
const PERMS = "/api/v1/permissions";

describe("GET /roles", () => {
  it("lists the system roles with their permissions", async () => {
    const { token } = await fixtureAdmin();
    const json = await body(await send("GET", `${ROLES}?limit=1000`, undefined, token));
    const count = await env.DB.prepare("SELECT count(*) AS n FROM roles").first<{ n: number }>();
    expect(json).toMatchObject({ total: count?.n, skip: 0, limit: 1000 });
    const employee = json.roles.find((r: { name: string }) => r.name === "EMPLOYEE");
    expect(employee).toMatchObject({ is_system: true, organization_id: null });
    expect(employee.permissions).toEqual([...SYSTEM_ROLE_PERMISSIONS.EMPLOYEE].sort());
    expect(employee.permission_ids).toHaveLength(SYSTEM_ROLE_PERMISSIONS.EMPLOYEE.length);
  });

  it("pages", async () => {
    const { token } = await fixtureAdmin();
    const json = await body(await send("GET", `${ROLES}?limit=1000`, undefined, token));
    const page = await body(await send("GET", `${ROLES}?skip=1&limit=2`, undefined, token));
    expect(page.roles.map((r: { id: number }) => r.id)).toEqual(
      json.roles.slice(1, 3).map((r: { id: number }) => r.id),
    );
  });

  /** An organization admin, a role of its organization, and a role of another organization. */
  async function rolesInTwoOrganizations() {
    const { token, org } = await orgAdmin();
    const own = await customRole(["trainings:read"], org.id);
    await customRole(["trainings:read"], (await organization()).id);
    return { token, org, own };
  }

  it("filters by organization", async () => {
    const { org, own } = await rolesInTwoOrganizations();
    const { token: adminToken } = await fixtureAdmin();
    const filtered = await body(await send("GET", `${ROLES}?organization_id=${org.id}`, undefined, adminToken));
    expect(filtered.roles.map((r: { id: number }) => r.id)).toEqual([own.id]);
  });

  it("shows an organization admin only its organization's roles", async () => {
    const { token, org, own } = await rolesInTwoOrganizations();
    const confined = await body(await send("GET", ROLES, undefined, token));
    expect(confined).toMatchObject({ total: 1, roles: [{ id: own.id, organization_id: org.id }] });
  });

  it("refuses an EMPLOYEE with 403", async () => {
    const { token } = await signedIn("EMPLOYEE");
    await expectError(await send("GET", ROLES, undefined, token), 403, "FORBIDDEN");
    await expectError(await send("GET", `${ROLES}/${await systemRoleId("ADMIN")}`, undefined, token), 403, "FORBIDDEN");
  });
});

describe("POST /roles", () => {
  it("creates a role with permissions", async () => {
    const { token } = await fixtureAdmin();
    const name = unique("Project Manager ");
    const ids = await permissionIds(["trainings:read", "trainings:create"]);
    const res = await send("POST", ROLES, { name, description: "Runs projects", permission_ids: ids }, token);
    expect(res.status).toBe(201);
    expect(await body(res)).toMatchObject({
      message: "Role created successfully",
      role: {
        name,
        description: "Runs projects",
        is_system: false,
        organization_id: null,
        permissions: ["trainings:create", "trainings:read"],
      },
    });
  });

  it("answers 409 ROLE_NAME_TAKEN for a duplicate or a system role's name", async () => {
    const { token } = await fixtureAdmin();
    const role = await customRole([]);
    await expectError(await send("POST", ROLES, { name: role.name.toUpperCase() }, token), 409, "ROLE_NAME_TAKEN");
    await expectError(await send("POST", ROLES, { name: "admin" }, token), 409, "ROLE_NAME_TAKEN");
  });

  it("allows the same name in two organizations", async () => {
    const { token } = await fixtureAdmin();
    const name = unique("Local ");
    for (const org of [await organization(), await organization()]) {
      expect((await send("POST", ROLES, { name, organization_id: org.id }, token)).status).toBe(201);
    }
  });

  it("answers 404 PERMISSION_NOT_FOUND for an unknown permission", async () => {
    const { token } = await fixtureAdmin();
    await expectError(
      await send("POST", ROLES, { name: unique("r"), permission_ids: [99_999_999] }, token),
      404,
      "PERMISSION_NOT_FOUND",
    );
  });

  it("answers 404 ORGANIZATION_NOT_FOUND for an unknown organization", async () => {
    const { token } = await fixtureAdmin();
    await expectError(
      await send("POST", ROLES, { name: unique("r"), organization_id: 99_999_999 }, token),
      404,
      "ORGANIZATION_NOT_FOUND",
    );
  });

  it("refuses bad input with 422", async () => {
    const { token } = await fixtureAdmin();
    for (const bad of [{ name: "" }, { name: unique("r"), is_system: true }, { name: "x".repeat(101) }]) {
      await expectError(await send("POST", ROLES, bad, token), 422, "VALIDATION_ERROR");
    }
  });

  const CREATOR = ["roles:create", "roles:read", "trainings:read"];

  it("lets a role creator grant permissions it holds", async () => {
    const { token } = await userWithPermissions(CREATOR);
    const ok = await send(
      "POST",
      ROLES,
      { name: unique("r"), permission_ids: await permissionIds(["trainings:read"]) },
      token,
    );
    expect(ok.status).toBe(201);
  });

  it("refuses a role creator who grants permissions it lacks (403 PRIVILEGE_ESCALATION)", async () => {
    const { token } = await userWithPermissions(CREATOR);
    const name = unique("r");
    const res = await send("POST", ROLES, { name, permission_ids: await permissionIds(ALL_PERMISSIONS) }, token);
    const json = await expectError(res, 403, "PRIVILEGE_ESCALATION");
    expect(json.detail).toContain("users:manage_access");
    expect(await env.DB.prepare("SELECT 1 FROM roles WHERE name = ?1").bind(name).first()).toBeNull();
  });

  it("lets an organization admin create roles in its organization", async () => {
    const { token, org } = await orgAdmin();
    const res = await send(
      "POST",
      ROLES,
      { name: unique("r"), organization_id: org.id, permission_ids: await permissionIds(["trainings:read"]) },
      token,
    );
    expect(res.status).toBe(201);
    expect((await body(res)).role.organization_id).toBe(org.id);
  });

  it("answers 404 to an organization admin creating a role in another organization", async () => {
    const { token } = await orgAdmin();
    const other = await organization();
    await expectError(
      await send("POST", ROLES, { name: unique("r"), organization_id: other.id }, token),
      404,
      "ORGANIZATION_NOT_FOUND",
    );
  });

  it("refuses an organization admin creating a global role (403)", async () => {
    const { token } = await orgAdmin();
    await expectError(await send("POST", ROLES, { name: unique("r") }, token), 403, "FORBIDDEN");
  });

  it("refuses an organization admin granting a permission it lacks (403 PRIVILEGE_ESCALATION)", async () => {
    const { token, org } = await orgAdmin();
    await expectError(
      await send(
        "POST",
        ROLES,
        { name: unique("r"), organization_id: org.id, permission_ids: await permissionIds(["users:delete"]) },
        token,
      ),
      403,
      "PRIVILEGE_ESCALATION",
    );
  });

  it("refuses an EMPLOYEE with 403", async () => {
    const { token } = await signedIn("EMPLOYEE");
    await expectError(await send("POST", ROLES, { name: unique("r") }, token), 403, "FORBIDDEN");
  });
});

describe("GET, PUT and DELETE /roles/{id}", () => {
  it("reads a role", async () => {
    const { token } = await fixtureAdmin();
    const role = await customRole(["modules:read"]);
    const res = await send("GET", `${ROLES}/${role.id}`, undefined, token);
    expect((await body(res)).role).toMatchObject({ id: role.id, name: role.name, permissions: ["modules:read"] });
  });

  it("answers 404 ROLE_NOT_FOUND for a missing role", async () => {
    const { token } = await fixtureAdmin();
    const missing = await expectError(await send("GET", `${ROLES}/99999999`, undefined, token), 404, "ROLE_NOT_FOUND");
    expect(missing.detail).toBe("Role with id 99999999 not found");
  });

  it("answers 404 to an organization admin for another organization's role or a global one", async () => {
    const role = await customRole(["modules:read"]);
    const { token: orgToken } = await orgAdmin();
    const foreign = await customRole([], (await organization()).id);
    for (const [method, path, payload] of [
      ["GET", `${ROLES}/${foreign.id}`, undefined],
      ["PUT", `${ROLES}/${foreign.id}`, { description: "mine now" }],
      ["PUT", `${ROLES}/${foreign.id}/permissions`, { permission_ids: [] }],
      ["DELETE", `${ROLES}/${foreign.id}`, undefined],
      ["GET", `${ROLES}/${role.id}`, undefined],
    ] as const) {
      await expectError(await send(method, path, payload, orgToken), 404, "ROLE_NOT_FOUND");
    }
  });

  it("renames a custom role and replaces its permissions in one update", async () => {
    const { token } = await fixtureAdmin();
    const role = await customRole(["modules:read"]);
    const name = unique("Renamed ");
    const res = await send(
      "PUT",
      `${ROLES}/${role.id}`,
      { name, permission_ids: await permissionIds(["trainings:read"]) },
      token,
    );
    expect(res.status).toBe(200);
    expect(await body(res)).toMatchObject({
      message: "Role updated successfully",
      role: { name, permissions: ["trainings:read"] },
    });
  });

  it("refuses renaming a role to a taken name (409 ROLE_NAME_TAKEN)", async () => {
    const { token } = await fixtureAdmin();
    const { name } = await customRole([]);
    const other = await customRole([]);
    await expectError(await send("PUT", `${ROLES}/${other.id}`, { name }, token), 409, "ROLE_NAME_TAKEN");
  });

  it("keeps system roles read-only (409 SYSTEM_ROLE_READ_ONLY)", async () => {
    const { token } = await fixtureAdmin();
    const id = await systemRoleId("EMPLOYEE");
    await expectError(await send("PUT", `${ROLES}/${id}`, { name: "STAFF" }, token), 409, "SYSTEM_ROLE_READ_ONLY");
    await expectError(
      await send("PUT", `${ROLES}/${id}/permissions`, { permission_ids: [] }, token),
      409,
      "SYSTEM_ROLE_READ_ONLY",
    );
    await expectError(await send("DELETE", `${ROLES}/${id}`, undefined, token), 409, "SYSTEM_ROLE_READ_ONLY");
    const role = (await body(await send("GET", `${ROLES}/${id}`, undefined, token))).role;
    expect(role).toMatchObject({ name: "EMPLOYEE", permissions: [...SYSTEM_ROLE_PERMISSIONS.EMPLOYEE].sort() });
  });

  it("answers 409 ROLE_IN_USE for an assigned role and keeps it", async () => {
    const { token } = await fixtureAdmin();
    const used = await customRole([]);
    await userWithRoles([used.id]);
    await expectError(await send("DELETE", `${ROLES}/${used.id}`, undefined, token), 409, "ROLE_IN_USE");
    expect((await send("GET", `${ROLES}/${used.id}`, undefined, token)).status).toBe(200);
  });

  it("deletes an unassigned role", async () => {
    const { token } = await fixtureAdmin();
    const free = await customRole(["modules:read"]);
    expect(await body(await send("DELETE", `${ROLES}/${free.id}`, undefined, token))).toEqual({
      message: "Role deleted successfully",
    });
    await expectError(await send("GET", `${ROLES}/${free.id}`, undefined, token), 404, "ROLE_NOT_FOUND");
  });

  it("refuses an EMPLOYEE with 403 on every write", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const role = await customRole([]);
    await expectError(await send("PUT", `${ROLES}/${role.id}`, { description: "x" }, token), 403, "FORBIDDEN");
    await expectError(
      await send("PUT", `${ROLES}/${role.id}/permissions`, { permission_ids: [] }, token),
      403,
      "FORBIDDEN",
    );
    await expectError(await send("DELETE", `${ROLES}/${role.id}`, undefined, token), 403, "FORBIDDEN");
  });
});

describe("PUT /roles/{id}/permissions", () => {
  const MANAGER = ["roles:read", "roles:update", "trainings:read", "modules:read"];

  it("lets a role manager add permissions it holds and remove any", async () => {
    const { token } = await userWithPermissions(MANAGER);
    const role = await customRole(["reports:send", "modules:read"]);
    const res = await send(
      "PUT",
      `${ROLES}/${role.id}/permissions`,
      { permission_ids: await permissionIds(["trainings:read"]) },
      token,
    );
    expect(res.status).toBe(200);
    expect(await body(res)).toMatchObject({
      message: "Role permissions updated successfully",
      role: { id: role.id, permissions: ["trainings:read"] },
    });
  });

  it("refuses to add a permission the caller lacks, even to its own role, and changes nothing", async () => {
    const { token, role: own } = await userWithPermissions(MANAGER);
    const ids = await permissionIds([...MANAGER, "users:manage_access"]);
    const res = await send("PUT", `${ROLES}/${own.id}/permissions`, { permission_ids: ids }, token);
    const json = await expectError(res, 403, "PRIVILEGE_ESCALATION");
    expect(json.detail).toContain("users:manage_access");
    const after = (await body(await send("GET", `${ROLES}/${own.id}`, undefined, token))).role;
    expect(after.permissions).toEqual([...MANAGER].sort());
  });

  it("keeps permissions the caller lacks that the role already had", async () => {
    const { token } = await userWithPermissions(MANAGER);
    const role = await customRole(["reports:send"]);
    const ids = await permissionIds(["reports:send", "modules:read"]);
    const res = await send("PUT", `${ROLES}/${role.id}/permissions`, { permission_ids: ids }, token);
    expect((await body(res)).role.permissions).toEqual(["modules:read", "reports:send"]);
  });

  /** An organization and a custom permission of its own. */
  async function organizationPermission(token: string) {
    const org = await organization();
    const perm = await send(
      "POST",
      PERMS,
      { name: unique("Perm "), resource: unique("res"), action: "use", organization_id: org.id },
      token,
    );
    return { org, permId: (await body(perm)).permission.id as number };
  }

  it("refuses an organization's own permission for a role of another scope (404)", async () => {
    const { token } = await fixtureAdmin();
    const { permId } = await organizationPermission(token);
    const global = await customRole([]);
    await expectError(
      await send("PUT", `${ROLES}/${global.id}/permissions`, { permission_ids: [permId] }, token),
      404,
      "PERMISSION_NOT_FOUND",
    );
  });

  it("grants an organization's own permission to a role of that organization", async () => {
    const { token } = await fixtureAdmin();
    const { org, permId } = await organizationPermission(token);
    const local = await customRole([], org.id);
    const ok = await send("PUT", `${ROLES}/${local.id}/permissions`, { permission_ids: [permId] }, token);
    expect((await body(ok)).role.permission_ids).toEqual([permId]);
  });

  it("limits permission_ids to 200 entries", async () => {
    const { token } = await fixtureAdmin();
    const role = await customRole([]);
    const ids = Array.from({ length: 201 }, (_, i) => i + 1);
    await expectError(
      await send("PUT", `${ROLES}/${role.id}/permissions`, { permission_ids: ids }, token),
      422,
      "VALIDATION_ERROR",
    );
  });
});

describe("/permissions", () => {
  it("lists the catalog", async () => {
    const { token } = await fixtureAdmin();
    const all = await body(await send("GET", `${PERMS}?limit=1000`, undefined, token));
    const keys = all.permissions.filter((p: { is_system: boolean }) => p.is_system).map((p: { key: string }) => p.key);
    expect(keys.sort()).toEqual([...ALL_PERMISSIONS].sort());
  });

  it("filters by resource", async () => {
    const { token } = await fixtureAdmin();
    const users = await body(await send("GET", `${PERMS}?resource=users`, undefined, token));
    expect(users.total).toBe(ALL_PERMISSIONS.filter((k) => k.startsWith("users:")).length);
  });

  it("filters by resource and action", async () => {
    const { token } = await fixtureAdmin();
    const reads = await body(await send("GET", `${PERMS}?resource=users&action=read`, undefined, token));
    expect(reads.permissions).toEqual([
      expect.objectContaining({ key: "users:read", is_system: true, organization_id: null }),
    ]);
  });

  it("filters by organization", async () => {
    const { token } = await fixtureAdmin();
    const org = await organization();
    await send(
      "POST",
      PERMS,
      { name: unique("Perm "), resource: unique("doc"), action: "review", organization_id: org.id },
      token,
    );
    const scoped = await body(await send("GET", `${PERMS}?organization_id=${org.id}`, undefined, token));
    expect(scoped).toMatchObject({ total: 1, permissions: [{ action: "review", organization_id: org.id }] });
  });

  it("pages", async () => {
    const { token } = await fixtureAdmin();
    const all = await body(await send("GET", `${PERMS}?limit=1000`, undefined, token));
    const page = await body(await send("GET", `${PERMS}?offset=2&limit=3`, undefined, token));
    expect(page.permissions.map((p: { id: number }) => p.id)).toEqual(
      all.permissions.slice(2, 5).map((p: { id: number }) => p.id),
    );
  });

  /** Creates a custom permission `<new resource>:delete` as the holder of `token`. */
  async function createPermission(token: string) {
    const resource = unique("projects");
    const created = await send(
      "POST",
      PERMS,
      { name: unique("Perm "), resource, action: "delete", description: "Delete projects" },
      token,
    );
    return { resource, created };
  }

  it("creates a custom permission", async () => {
    const { token } = await fixtureAdmin();
    const { resource, created } = await createPermission(token);
    expect(created.status).toBe(201);
    const permission = (await body(created)).permission;
    expect(permission).toMatchObject({ resource, action: "delete", key: `${resource}:delete`, is_system: false });
  });

  it("reads a custom permission", async () => {
    const { token } = await fixtureAdmin();
    const permission = (await body((await createPermission(token)).created)).permission;
    expect((await body(await send("GET", `${PERMS}/${permission.id}`, undefined, token))).permission.id).toBe(
      permission.id,
    );
  });

  it("updates a custom permission", async () => {
    const { token } = await fixtureAdmin();
    const { resource, created } = await createPermission(token);
    const permission = (await body(created)).permission;
    const updated = await send("PUT", `${PERMS}/${permission.id}`, { action: "archive", description: null }, token);
    expect(await body(updated)).toMatchObject({
      message: "Permission updated successfully",
      permission: { key: `${resource}:archive`, description: null },
    });
  });

  it("deletes a custom permission", async () => {
    const { token } = await fixtureAdmin();
    const permission = (await body((await createPermission(token)).created)).permission;
    expect(await body(await send("DELETE", `${PERMS}/${permission.id}`, undefined, token))).toEqual({
      message: "Permission deleted successfully",
    });
    await expectError(await send("GET", `${PERMS}/${permission.id}`, undefined, token), 404, "PERMISSION_NOT_FOUND");
  });

  it("refuses to recreate a catalog key (409 PERMISSION_EXISTS)", async () => {
    const { token } = await fixtureAdmin();
    await expectError(
      await send("POST", PERMS, { name: unique("Perm "), resource: "users", action: "read" }, token),
      409,
      "PERMISSION_EXISTS",
    );
  });

  it("refuses to recreate a catalog key in an organization (409 PERMISSION_EXISTS)", async () => {
    const { token } = await fixtureAdmin();
    const org = await organization();
    await expectError(
      await send(
        "POST",
        PERMS,
        { name: unique("Perm "), resource: "users", action: "manage_access", organization_id: org.id },
        token,
      ),
      409,
      "PERMISSION_EXISTS",
    );
  });

  it("refuses a duplicate custom permission (409 PERMISSION_EXISTS)", async () => {
    const { token } = await fixtureAdmin();
    const resource = unique("dup");
    expect((await send("POST", PERMS, { name: unique("Perm "), resource, action: "x" }, token)).status).toBe(201);
    await expectError(
      await send("POST", PERMS, { name: unique("Perm "), resource, action: "x" }, token),
      409,
      "PERMISSION_EXISTS",
    );
  });

  it("refuses renaming a custom permission to a catalog key (409 PERMISSION_EXISTS)", async () => {
    const { token } = await fixtureAdmin();
    const resource = unique("dup");
    const custom = (await body(await send("POST", PERMS, { name: unique("Perm "), resource, action: "y" }, token)))
      .permission;
    await expectError(
      await send("PUT", `${PERMS}/${custom.id}`, { resource: "roles", action: "delete" }, token),
      409,
      "PERMISSION_EXISTS",
    );
  });

  it("keeps system permissions read-only", async () => {
    const { token } = await fixtureAdmin();
    const [systemId] = await permissionIds(["trainings:read"]);
    await expectError(
      await send("PUT", `${PERMS}/${systemId}`, { description: "x" }, token),
      409,
      "SYSTEM_PERMISSION_READ_ONLY",
    );
    await expectError(
      await send("DELETE", `${PERMS}/${systemId}`, undefined, token),
      409,
      "SYSTEM_PERMISSION_READ_ONLY",
    );
  });

  it("refuses deleting a permission still granted (409 PERMISSION_IN_USE)", async () => {
    const { token } = await fixtureAdmin();
    const custom = (
      await body(await send("POST", PERMS, { name: unique("Perm "), resource: unique("r"), action: "use" }, token))
    ).permission;
    const role = await customRole([]);
    await send("PUT", `${ROLES}/${role.id}/permissions`, { permission_ids: [custom.id] }, token);
    await expectError(await send("DELETE", `${PERMS}/${custom.id}`, undefined, token), 409, "PERMISSION_IN_USE");
  });

  it("validates resource and action names", async () => {
    const { token } = await fixtureAdmin();
    for (const bad of [
      { name: "Bad", resource: "Users!", action: "read" },
      { name: "Bad", resource: "x", action: "" },
      { name: "Bad", resource: "x", action: "y", is_system: true },
    ]) {
      await expectError(await send("POST", PERMS, bad, token), 422, "VALIDATION_ERROR");
    }
  });

  /** A custom permission of a new organization, created by the fixture admin. */
  async function foreignPermission() {
    const { token: adminToken } = await fixtureAdmin();
    const other = await organization();
    return (
      await body(
        await send(
          "POST",
          PERMS,
          { name: unique("Perm "), resource: unique("r"), action: "use", organization_id: other.id },
          adminToken,
        ),
      )
    ).permission as { id: number };
  }

  /** A custom permission posted by `token` for organization `orgId`. */
  const postOrgPermission = (token: string, orgId: number) =>
    send("POST", PERMS, { name: unique("Perm "), resource: unique("r"), action: "use", organization_id: orgId }, token);

  it("lets an organization admin create custom permissions in its organization", async () => {
    const { token, org } = await orgAdmin();
    const own = await postOrgPermission(token, org.id);
    expect(own.status).toBe(201);
  });

  it("refuses an organization admin creating a global permission (403)", async () => {
    const { token } = await orgAdmin();
    await expectError(
      await send("POST", PERMS, { name: unique("Perm "), resource: unique("r"), action: "use" }, token),
      403,
      "FORBIDDEN",
    );
  });

  it("answers 404 to an organization admin creating a permission in another organization", async () => {
    const { token } = await orgAdmin();
    const other = await organization();
    await expectError(
      await send(
        "POST",
        PERMS,
        { name: unique("Perm "), resource: unique("r"), action: "use", organization_id: other.id },
        token,
      ),
      404,
      "ORGANIZATION_NOT_FOUND",
    );
  });

  it("hides another organization's permissions from an organization admin (404)", async () => {
    const { token } = await orgAdmin();
    const foreign = await foreignPermission();
    await expectError(await send("GET", `${PERMS}/${foreign.id}`, undefined, token), 404, "PERMISSION_NOT_FOUND");
    await expectError(await send("DELETE", `${PERMS}/${foreign.id}`, undefined, token), 404, "PERMISSION_NOT_FOUND");
  });

  it("lists to an organization admin its organization's permissions, not another's", async () => {
    const { token, org } = await orgAdmin();
    const own = await postOrgPermission(token, org.id);
    const ownId = (await body(own)).permission.id;
    const foreign = await foreignPermission();
    const listed = await body(await send("GET", `${PERMS}?limit=1000`, undefined, token));
    const ids = listed.permissions.map((p: { id: number }) => p.id);
    expect(ids).toContain(ownId);
    expect(ids).not.toContain(foreign.id);
  });

  it("keeps the global catalog read-only for an organization admin", async () => {
    const { token } = await orgAdmin();
    const [globalId] = await permissionIds(["trainings:read"]);
    await expectError(
      await send("PUT", `${PERMS}/${globalId}`, { description: "x" }, token),
      409,
      "SYSTEM_PERMISSION_READ_ONLY",
    );
  });

  it("refuses an EMPLOYEE with 403", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const [id] = await permissionIds(["users:read"]);
    await expectError(await send("GET", PERMS, undefined, token), 403, "FORBIDDEN");
    await expectError(await send("GET", `${PERMS}/${id}`, undefined, token), 403, "FORBIDDEN");
    await expectError(
      await send("POST", PERMS, { name: unique("Perm "), resource: "a", action: "b" }, token),
      403,
      "FORBIDDEN",
    );
    await expectError(await send("PUT", `${PERMS}/${id}`, { description: "x" }, token), 403, "FORBIDDEN");
    await expectError(await send("DELETE", `${PERMS}/${id}`, undefined, token), 403, "FORBIDDEN");
  });
});

describe("permission names", () => {
  const create = (token: string, fields: Record<string, unknown>) =>
    send("POST", PERMS, { resource: unique("res"), action: "use", ...fields }, token);

  it("names every system permission readably, as PERMISSION_NAMES in src/lib/permissions.ts does", async () => {
    const { token } = await fixtureAdmin();
    const all = await body(await send("GET", `${PERMS}?limit=1000`, undefined, token));
    const system = all.permissions.filter((p: { is_system: boolean }) => p.is_system);
    expect(Object.fromEntries(system.map((p: { key: string; name: string }) => [p.key, p.name]))).toEqual(
      PERMISSION_NAMES,
    );
    expect(system.find((p: { key: string }) => p.key === "users:read")).toMatchObject({
      name: "View Users",
      resource: "users",
      action: "read",
      organization_id: null,
      is_system: true,
    });
  });

  it("has a data migration that names a permission created before names existed after its key", async () => {
    const { token } = await fixtureAdmin();
    const resource = unique("legacy");
    const row = await env.DB.prepare(
      "INSERT INTO permissions (resource, action, is_system) VALUES (?1, 'use', 0) RETURNING id",
    )
      .bind(resource)
      .first<{ id: number }>();
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.endsWith("_permission_names_data.sql"));
    expect(migration).toBeDefined();
    await env.DB.batch((migration?.queries ?? []).map((q) => env.DB.prepare(q)));
    const stored = await env.DB.prepare("SELECT name FROM permissions WHERE id = ?1").bind(row?.id).first();
    expect(stored).toEqual({ name: `${resource}:use` });
    const json = await body(await send("GET", `${PERMS}/${row?.id}`, undefined, token));
    expect(json.permission).toMatchObject({ name: `${resource}:use`, key: `${resource}:use` });
    const system = await body(await send("GET", `${PERMS}?resource=users&action=read`, undefined, token));
    expect(system.permissions[0].name).toBe("View Users");
  });

  it("creates a permission with a name and shows it in every view (create, get, list)", async () => {
    const { token } = await fixtureAdmin();
    const org = await organization();
    const name = unique("Delete Projects ");
    const res = await create(token, { name, description: "Can delete projects", organization_id: org.id });
    expect(res.status).toBe(201);
    const { permission } = await body(res);
    expect(permission).toMatchObject({ name, description: "Can delete projects", organization_id: org.id });
    const one = await body(await send("GET", `${PERMS}/${permission.id}`, undefined, token));
    expect(one.permission.name).toBe(name);
    const listed = await body(await send("GET", `${PERMS}?organization_id=${org.id}`, undefined, token));
    expect(listed.permissions).toEqual([permission]);
    const row = await env.DB.prepare("SELECT name FROM permissions WHERE id = ?1").bind(permission.id).first();
    expect(row).toEqual({ name });
  });

  it("requires a name on create (422)", async () => {
    const { token } = await fixtureAdmin();
    const json = await expectError(
      await send("POST", PERMS, { resource: unique("res"), action: "use" }, token),
      422,
      "VALIDATION_ERROR",
    );
    expect(json.detail).toEqual([expect.objectContaining({ loc: ["body", "name"] })]);
    await expectError(await create(token, { name: "   " }), 422, "VALIDATION_ERROR");
  });

  it("renames a custom permission with PUT", async () => {
    const { token } = await fixtureAdmin();
    const { permission } = await body(await create(token, { name: unique("Old ") }));
    const name = unique("New ");
    const res = await send("PUT", `${PERMS}/${permission.id}`, { name }, token);
    expect(await body(res)).toMatchObject({ permission: { id: permission.id, name, key: permission.key } });
  });

  it("refuses a name taken in the same scope, whatever its case (409 PERMISSION_NAME_TAKEN)", async () => {
    const { token } = await fixtureAdmin();
    const org = await organization();
    const name = unique("Review Docs ");
    expect((await create(token, { name })).status).toBe(201);
    await expectError(await create(token, { name: name.toUpperCase() }), 409, "PERMISSION_NAME_TAKEN");
    expect((await create(token, { name, organization_id: org.id })).status).toBe(201);
    await expectError(
      await create(token, { name: name.toLowerCase(), organization_id: org.id }),
      409,
      "PERMISSION_NAME_TAKEN",
    );
  });

  it("allows one name in two organizations", async () => {
    const { token } = await fixtureAdmin();
    const name = unique("Local ");
    for (const org of [await organization(), await organization()]) {
      expect((await create(token, { name, organization_id: org.id })).status).toBe(201);
    }
  });

  it("reserves the system permissions' names in every scope (409 PERMISSION_NAME_TAKEN)", async () => {
    const { token } = await fixtureAdmin();
    const org = await organization();
    await expectError(await create(token, { name: "view users" }), 409, "PERMISSION_NAME_TAKEN");
    await expectError(
      await create(token, { name: "View Users", organization_id: org.id }),
      409,
      "PERMISSION_NAME_TAKEN",
    );
  });

  it("refuses renaming to a taken name (409 PERMISSION_NAME_TAKEN) and keeps the old one", async () => {
    const { token } = await fixtureAdmin();
    const taken = unique("Taken ");
    await create(token, { name: taken });
    const { permission } = await body(await create(token, { name: unique("Mine ") }));
    await expectError(
      await send("PUT", `${PERMS}/${permission.id}`, { name: taken }, token),
      409,
      "PERMISSION_NAME_TAKEN",
    );
    await expectError(
      await send("PUT", `${PERMS}/${permission.id}`, { name: "Create Trainings" }, token),
      409,
      "PERMISSION_NAME_TAKEN",
    );
    expect((await body(await send("GET", `${PERMS}/${permission.id}`, undefined, token))).permission.name).toBe(
      permission.name,
    );
  });

  it("keeps a permission's own name on an update that changes only its case or other fields", async () => {
    const { token } = await fixtureAdmin();
    const { permission } = await body(await create(token, { name: unique("Case ") }));
    const res = await send("PUT", `${PERMS}/${permission.id}`, { name: permission.name.toUpperCase() }, token);
    expect((await body(res)).permission.name).toBe(permission.name.toUpperCase());
    const other = await send("PUT", `${PERMS}/${permission.id}`, { description: "x" }, token);
    expect((await body(other)).permission.name).toBe(permission.name.toUpperCase());
  });
});

/** The operations of the served OpenAPI document, read once when this file loads. */
const documented: {
  key: string;
  method: string;
  path: string;
  secured: boolean;
  scope: string | undefined;
  permission: string[] | undefined;
  description: string;
}[] = Object.entries(
  (await body(await call("/openapi.json"))).paths as Record<
    string,
    Record<string, { security?: unknown; description?: string; "x-scope"?: string; "x-permission"?: string[] }>
  >,
).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({
    key: `${method.toUpperCase()} ${path}`,
    method: method.toUpperCase(),
    path,
    secured: op.security !== undefined,
    scope: op["x-scope"],
    permission: op["x-permission"],
    description: op.description ?? "",
  })),
);

describe("every route is protected", () => {
  /**
   * The documented operations that answer without credentials. Every other operation must declare a
   * security requirement (guardedRoute() does), so a new route that forgets its guard fails here.
   */
  const PUBLIC_OPERATIONS = [
    "GET /",
    "GET /api/v1/hello",
    "GET /api/v1/health",
    "GET /.well-known/jwks.json",
    "POST /api/v1/auth/register",
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/refresh",
    "POST /api/v1/auth/logout",
    "GET /api/v1/modules",
    "GET /api/v1/modules/{id}",
    "POST /api/v1/auth/magic-link",
    "GET /api/v1/auth/magic-link",
    "POST /api/v1/auth/magic-link/verify",
    "POST /api/v1/auth/password-reset",
    "GET /api/v1/auth/password-reset",
    "POST /api/v1/auth/password-reset/confirm",
    "POST /api/v1/auth/verify-email/confirm",
    "GET /api/v1/auth/verify-email",
    "GET /api/v1/auth/confirm-email",
    "POST /api/v1/auth/confirm-email",
    // The second step of a sign-in: the mfa_token from the first step is the credential.
    "POST /api/v1/auth/mfa/verify",
    // Sign-in with a provider: a browser navigation before any session exists.
    "GET /api/v1/auth/oauth/providers",
    "GET /api/v1/auth/oauth/{provider}",
    "GET /api/v1/auth/oauth/{provider}/callback",
    // RFC 8058 one-click unsubscribe of report emails: mail providers post it without a sign-in; the
    // token signed for one user is the authority.
    "GET /api/v1/unsubscribe",
    "POST /api/v1/unsubscribe",
  ];
  /** Public routes served outside the OpenAPI document: the document itself and its two viewers. */
  const UNDOCUMENTED_PUBLIC_ROUTES = ["GET /docs", "GET /openapi.json", "GET /redoc"];

  const secured = documented.filter((op) => op.secured);

  const concrete = (template: string) =>
    template
      .replace("{username}", "admin")
      .replace("{email}", "admin@example.test")
      .replace("{session_id}", "00000000-0000-4000-8000-000000000000")
      .replace("{provider}", "google")
      .replace(/\{(id|user_id|module_id|delivery_id)\}/g, "1");

  it("declares a security requirement for every operation but the public ones", () => {
    const open = documented.filter((op) => !op.secured).map((op) => op.key);
    expect(open.sort()).toEqual([...PUBLIC_OPERATIONS].sort());
  });

  it("states in the document the permission and scope of every protected operation", () => {
    const unstated = secured.filter(
      (op) =>
        !(op.scope === "self" || (op.permission?.length && ["global", "organization", "own"].includes(op.scope ?? ""))),
    );
    expect(unstated.map((op) => op.key)).toEqual([]);
    const undescribed = secured.filter((op) => op.permission?.some((p) => !op.description.includes(`\`${p}\``)));
    expect(undescribed.map((op) => op.key)).toEqual([]);
  });

  it("documents every route the app serves, except the docs themselves", () => {
    const served = new Set(
      app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
    );
    const keys = new Set(documented.map((op) => op.key));
    expect([...served].filter((route) => !keys.has(route)).sort()).toEqual(UNDOCUMENTED_PUBLIC_ROUTES);
  });

  it("finds protected operations in every module", () => {
    for (const prefix of [
      "/api/v1/auth/",
      "/api/v1/users",
      "/api/v1/admin/",
      "/api/v1/organizations",
      "/api/v1/roles",
      "/api/v1/permissions",
      "/api/v1/trainings",
      "/api/v1/registrations",
      "/api/v1/modules",
      "/api/v1/users/{id}/progress",
      "/api/v1/reports",
      "/api/v1/chat/",
    ]) {
      expect(
        secured.some((op) => op.path.startsWith(prefix)),
        prefix,
      ).toBe(true);
    }
  });

  it.each(secured.map((op) => [op.key, op] as const))("answers 401 without credentials on %s", async (key, op) => {
    const path = concrete(op.path);
    expect(path, `${key}: a path parameter concrete() doesn't know`).not.toContain("{");
    const res = await send(op.method, path, op.method === "GET" || op.method === "DELETE" ? undefined : {});
    expect(res.status, key).toBe(401);
  });

  it("refuses a deleted user's earlier token on its next call (401)", async () => {
    const { token: adminToken } = await fixtureAdmin();
    const { user, token } = await userWithPermissions(["roles:read"]);
    expect((await send("GET", ROLES, undefined, token)).status).toBe(200);
    await send("DELETE", `/api/v1/users/${user.id}`, undefined, adminToken);
    expect((await send("GET", ROLES, undefined, token)).status).toBe(401);
  });

  it("applies a removed role on the next request", async () => {
    const { token: adminToken } = await fixtureAdmin();
    const { user, token } = await userWithPermissions(["roles:read"]);
    expect((await send("GET", ROLES, undefined, token)).status).toBe(200);
    await send("PUT", `/api/v1/users/${user.id}`, { role_ids: [] }, adminToken);
    await expectError(await send("GET", ROLES, undefined, token), 403, "FORBIDDEN");
  });
});
