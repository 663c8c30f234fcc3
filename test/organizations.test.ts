import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { colleagueOf, customRole, fixtureAdmin, orgAdmin, organization, systemRoleId } from "./access-fixtures";
import { createUser, REGISTERED_PASSWORD, registered, signedIn, tokenFor } from "./factories";
import { body, countingDb, env, expectError, send, unique } from "./helpers";

const ORGS = "/api/v1/organizations";

describe("POST /organizations", () => {
  it("creates an organization whose admin_ids join it as admins", async () => {
    const { token } = await fixtureAdmin();
    const boss = await createUser();
    const name = unique("Acme ");
    const res = await send(
      "POST",
      ORGS,
      { name, description: "Widgets", domain: "Acme.Example.com", admin_ids: [boss.id] },
      token,
    );
    expect(res.status).toBe(201);
    const json = await body(res);
    expect(json).toMatchObject({
      message: "Organization created successfully",
      organization: {
        name,
        description: "Widgets",
        domain: "acme.example.com",
        active: true,
        admin_ids: [boss.id],
        member_count: 1,
      },
    });
    const me = await send("GET", "/api/v1/users/me", undefined, await tokenFor(boss.id));
    expect((await body(me)).user.organization_ids).toEqual([json.organization.id]);
  });

  it("answers 409 ORGANIZATION_NAME_TAKEN for a duplicate name, case-insensitively", async () => {
    const { token } = await fixtureAdmin();
    const org = await organization();
    await expectError(
      await send("POST", ORGS, { name: org.name.toUpperCase() }, token),
      409,
      "ORGANIZATION_NAME_TAKEN",
    );
  });

  it("answers 404 USER_NOT_FOUND for an unknown admin", async () => {
    const { token } = await fixtureAdmin();
    await expectError(
      await send("POST", ORGS, { name: unique("O"), admin_ids: [99_999_999] }, token),
      404,
      "USER_NOT_FOUND",
    );
  });

  it("refuses bad input with 422", async () => {
    const { token } = await fixtureAdmin();
    for (const bad of [{ name: "" }, { name: unique("O"), domain: "not a domain" }, { name: unique("O"), owner: 1 }]) {
      await expectError(await send("POST", ORGS, bad, token), 422, "VALIDATION_ERROR");
    }
    await expectError(await send("POST", ORGS, { name: "x".repeat(201) }, token), 422, "VALIDATION_ERROR");
  });

  it("refuses an EMPLOYEE and an organization admin with 403", async () => {
    for (const { token } of [await signedIn("EMPLOYEE"), await orgAdmin()]) {
      await expectError(await send("POST", ORGS, { name: unique("O") }, token), 403, "FORBIDDEN");
    }
  });
});

describe("GET /organizations", () => {
  /** Three organizations named after a new tag, the second inactive; returns the tag. */
  async function threeTagged() {
    const tag = unique("Tag");
    await organization([], { name: `${tag} one` });
    await organization([], { name: `${tag} two`, active: false });
    await organization([], { name: `${tag} three` });
    return tag;
  }

  it("pages the organizations matching a search", async () => {
    const { token } = await fixtureAdmin();
    const tag = await threeTagged();
    const page = await body(await send("GET", `${ORGS}?search=${tag}&limit=2`, undefined, token));
    expect(page).toMatchObject({ total: 3, skip: 0, limit: 2 });
    expect(page.organizations).toHaveLength(2);
    const rest = await body(await send("GET", `${ORGS}?search=${tag}&offset=2`, undefined, token));
    expect(rest.organizations.map((o: { name: string }) => o.name)).toEqual([`${tag} three`]);
  });

  it("filters by active", async () => {
    const { token } = await fixtureAdmin();
    const tag = await threeTagged();
    const inactive = await body(await send("GET", `${ORGS}?search=${tag}&active=false`, undefined, token));
    expect(inactive.organizations.map((o: { name: string }) => o.name)).toEqual([`${tag} two`]);
  });

  it("counts every organization for holders of organizations:read", async () => {
    const { token } = await fixtureAdmin();
    await threeTagged();
    const all = await body(await send("GET", `${ORGS}?limit=1000`, undefined, token));
    const count = await env.DB.prepare("SELECT count(*) AS n FROM organizations").first<{ n: number }>();
    expect(all.total).toBe(count?.n);
  });

  it("shows other users only the organizations they belong to", async () => {
    const { user, token } = await signedIn("EMPLOYEE");
    const mine = await organization();
    await organization();
    const { token: adminToken } = await fixtureAdmin();
    await send("PUT", `/api/v1/users/${user.id}`, { organization_ids: [mine.id] }, adminToken);
    const json = await body(await send("GET", ORGS, undefined, token));
    expect(json).toMatchObject({ total: 1, organizations: [{ id: mine.id }] });
    const { token: loner } = await signedIn("EMPLOYEE");
    expect(await body(await send("GET", ORGS, undefined, loner))).toMatchObject({ total: 0, organizations: [] });
  });
});

describe("GET /organizations/{id}", () => {
  it("shows an organization to its members", async () => {
    const { user, token, org } = await orgAdmin();
    const res = await send("GET", `${ORGS}/${org.id}`, undefined, token);
    expect((await body(res)).organization).toMatchObject({ id: org.id, admin_ids: [user.id] });
  });

  it("answers 404 to a non-member, as for a missing organization", async () => {
    const { org } = await orgAdmin();
    const { token: outsider } = await signedIn("EMPLOYEE");
    const hidden = await expectError(
      await send("GET", `${ORGS}/${org.id}`, undefined, outsider),
      404,
      "ORGANIZATION_NOT_FOUND",
    );
    expect(hidden.detail).toBe(`Organization with id ${org.id} not found`);
    await expectError(await send("GET", `${ORGS}/99999999`, undefined, outsider), 404, "ORGANIZATION_NOT_FOUND");
  });
});

describe("PUT /organizations/{id}", () => {
  it("lets holders of organizations:update change every field", async () => {
    const { token } = await fixtureAdmin();
    const org = await organization();
    const name = unique("Renamed ");
    const res = await send("PUT", `${ORGS}/${org.id}`, { name, domain: "renamed.example", active: false }, token);
    expect(res.status).toBe(200);
    expect(await body(res)).toMatchObject({
      message: "Organization updated successfully",
      organization: { name, domain: "renamed.example", active: false },
    });
  });

  it("lets an organization admin change description and admin_ids", async () => {
    const { user, token, org } = await orgAdmin();
    const deputy = await colleagueOf(user.id);
    const res = await send("PUT", `${ORGS}/${org.id}`, { description: "Ours", admin_ids: [user.id, deputy.id] }, token);
    expect(res.status).toBe(200);
    expect((await body(res)).organization).toMatchObject({
      description: "Ours",
      admin_ids: [user.id, deputy.id],
      member_count: 2,
    });
  });

  it("refuses an organization admin changing name, domain or active (403 FIELD_NOT_ALLOWED)", async () => {
    const { token, org } = await orgAdmin();
    for (const change of [{ name: unique("Mine ") }, { domain: "mine.example" }, { active: false }]) {
      await expectError(await send("PUT", `${ORGS}/${org.id}`, change, token), 403, "FIELD_NOT_ALLOWED");
    }
  });

  it("demotes members left out of admin_ids without removing them", async () => {
    const { user, token, org } = await orgAdmin();
    const deputy = await colleagueOf(user.id);
    await send("PUT", `${ORGS}/${org.id}`, { admin_ids: [user.id, deputy.id] }, token);
    const res = await send("PUT", `${ORGS}/${org.id}`, { admin_ids: [deputy.id] }, token);
    expect((await body(res)).organization).toMatchObject({ admin_ids: [deputy.id], member_count: 2 });
    await expectError(await send("PUT", `${ORGS}/${org.id}`, { description: "again" }, token), 403, "FORBIDDEN");
  });

  it("answers 404 to an organization admin updating an organization it can't see", async () => {
    const { token } = await orgAdmin();
    const other = await organization();
    await expectError(
      await send("PUT", `${ORGS}/${other.id}`, { description: "x" }, token),
      404,
      "ORGANIZATION_NOT_FOUND",
    );
  });

  it("answers 403 to an organization admin updating an organization it only belongs to", async () => {
    const { user, token } = await orgAdmin();
    const other = await organization();
    const { token: adminToken } = await fixtureAdmin();
    const me = (await body(await send("GET", `/api/v1/users/${user.id}`, undefined, adminToken))).user;
    await send("PUT", `/api/v1/users/${user.id}`, { organization_ids: [...me.organization_ids, other.id] }, adminToken);
    await expectError(await send("PUT", `${ORGS}/${other.id}`, { description: "x" }, token), 403, "FORBIDDEN");
  });

  it("refuses an EMPLOYEE who administers nothing with 403", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const org = await organization();
    await expectError(await send("PUT", `${ORGS}/${org.id}`, { description: "x" }, token), 403, "FORBIDDEN");
  });
});

describe("DELETE /organizations/{id}", () => {
  it("deletes an empty organization", async () => {
    const { token } = await fixtureAdmin();
    const org = await organization();
    const res = await send("DELETE", `${ORGS}/${org.id}`, undefined, token);
    expect(await body(res)).toEqual({ message: "Organization deleted successfully" });
    await expectError(await send("GET", `${ORGS}/${org.id}`, undefined, token), 404, "ORGANIZATION_NOT_FOUND");
    await expectError(await send("DELETE", `${ORGS}/${org.id}`, undefined, token), 404, "ORGANIZATION_NOT_FOUND");
  });

  it("answers 409 ORGANIZATION_NOT_EMPTY while members remain", async () => {
    const { token } = await fixtureAdmin();
    const member = await createUser();
    const withMember = await organization([member.id]);
    const json = await expectError(
      await send("DELETE", `${ORGS}/${withMember.id}`, undefined, token),
      409,
      "ORGANIZATION_NOT_EMPTY",
    );
    expect(json.detail).toContain("1 member(s)");
  });

  it("answers 409 ORGANIZATION_NOT_EMPTY while roles remain, and deletes nothing", async () => {
    const { token } = await fixtureAdmin();
    const withRole = await organization();
    await customRole(["trainings:read"], withRole.id);
    await expectError(await send("DELETE", `${ORGS}/${withRole.id}`, undefined, token), 409, "ORGANIZATION_NOT_EMPTY");
    expect((await send("GET", `${ORGS}/${withRole.id}`, undefined, token)).status).toBe(200);
  });

  it("refuses an organization admin with 403", async () => {
    const { token, org } = await orgAdmin();
    await expectError(await send("DELETE", `${ORGS}/${org.id}`, undefined, token), 403, "FORBIDDEN");
  });
});

describe("organization audit trail", () => {
  it("records creating, updating and deleting an organization, with who did it", async () => {
    const { user: admin, token } = await fixtureAdmin();
    const boss = await createUser();
    const name = unique("Audited ");
    const org = (await body(await send("POST", ORGS, { name, admin_ids: [boss.id] }, token))).organization;
    await send("PUT", `${ORGS}/${org.id}`, { description: "x", admin_ids: [] }, token);
    await send("DELETE", `${ORGS}/${org.id}/members/${boss.id}`, undefined, token);
    expect((await send("DELETE", `${ORGS}/${org.id}`, undefined, token)).status).toBe(200);
    await send("DELETE", `${ORGS}/${org.id}`, undefined, token);
    const events = await env.DB.prepare(
      "SELECT user_id, event, detail FROM auth_events WHERE event LIKE 'organization_%' AND (detail LIKE ?1 OR detail LIKE ?2) ORDER BY id",
    )
      .bind(`organization '${name}'%`, `organization ${org.id}%`)
      .all();
    expect(events.results).toEqual([
      { user_id: admin.id, event: "organization_created", detail: `organization '${name}', admins [${boss.id}]` },
      { user_id: admin.id, event: "organization_updated", detail: `organization ${org.id}: description, admins []` },
      { user_id: admin.id, event: "organization_deleted", detail: `organization ${org.id}` },
    ]);
  });
});

describe("organization members", () => {
  it("lets an organization admin add, list and remove members", async () => {
    const { user, token, org } = await orgAdmin();
    const newcomer = await colleagueOf(user.id);
    const put = await send("PUT", `${ORGS}/${org.id}/members/${newcomer.id}`, {}, token);
    expect(put.status).toBe(200);
    expect(await body(put)).toMatchObject({
      message: "Membership saved successfully",
      member: { user_id: newcomer.id, username: newcomer.username, is_admin: false, role_ids: [] },
    });
    const list = await body(await send("GET", `${ORGS}/${org.id}/members`, undefined, token));
    expect(list).toMatchObject({ total: 2, skip: 0, limit: 100 });
    expect(list.members.map((m: { user_id: number; is_admin: boolean }) => [m.user_id, m.is_admin])).toEqual([
      [user.id, true],
      [newcomer.id, false],
    ]);
    const del = await send("DELETE", `${ORGS}/${org.id}/members/${newcomer.id}`, undefined, token);
    expect(await body(del)).toEqual({ message: "Member removed successfully" });
  });

  it("answers 404 MEMBER_NOT_FOUND when removing a user who is not (or no longer) a member", async () => {
    const { token, org } = await orgAdmin();
    const newcomer = await createUser();
    await send("PUT", `${ORGS}/${org.id}/members/${newcomer.id}`, {}, token);
    await send("DELETE", `${ORGS}/${org.id}/members/${newcomer.id}`, undefined, token);
    await expectError(
      await send("DELETE", `${ORGS}/${org.id}/members/${newcomer.id}`, undefined, token),
      404,
      "MEMBER_NOT_FOUND",
    );
  });

  it("answers 404 USER_NOT_FOUND when adding an unknown user", async () => {
    const { token, org } = await orgAdmin();
    await expectError(await send("PUT", `${ORGS}/${org.id}/members/99999999`, {}, token), 404, "USER_NOT_FOUND");
  });

  it("answers an organization admin the same 404 for a user it can't see as for a missing one, adding nobody (attack: harvesting the user directory)", async () => {
    const { token, org } = await orgAdmin();
    const stranger = await createUser();
    const missing = await expectError(
      await send("PUT", `${ORGS}/${org.id}/members/99999999`, {}, token),
      404,
      "USER_NOT_FOUND",
    );
    const hidden = await expectError(
      await send("PUT", `${ORGS}/${org.id}/members/${stranger.id}`, {}, token),
      404,
      "USER_NOT_FOUND",
    );
    expect(hidden.detail).toBe(missing.detail.replace("99999999", String(stranger.id)));
    expect(JSON.stringify(hidden)).not.toContain(stranger.username);
    expect(await membershipCount(stranger.id, org.id)).toBe(0);
    for (const admin_ids of [[99999999], [stranger.id]]) {
      await expectError(await send("PUT", `${ORGS}/${org.id}`, { admin_ids }, token), 404, "USER_NOT_FOUND");
    }
    expect(await membershipCount(stranger.id, org.id)).toBe(0);
  });

  it("lets a holder of users:read add any user", async () => {
    const { token } = await fixtureAdmin();
    const org = await organization();
    const anyone = await createUser();
    const res = await send("PUT", `${ORGS}/${org.id}/members/${anyone.id}`, {}, token);
    expect((await body(res)).member).toMatchObject({ user_id: anyone.id, username: anyone.username });
  });

  it("records membership changes in the audit trail (add, admin flag and roles, remove)", async () => {
    const { user, token, org } = await orgAdmin();
    const role = await customRole(["trainings:read"], org.id);
    const member = await colleagueOf(user.id);
    await send("PUT", `${ORGS}/${org.id}/members/${member.id}`, {}, token);
    await send("PUT", `${ORGS}/${org.id}/members/${member.id}`, { is_admin: true, role_ids: [role.id] }, token);
    await send("DELETE", `${ORGS}/${org.id}/members/${member.id}`, undefined, token);
    const events = await env.DB.prepare(
      "SELECT user_id, event, detail FROM auth_events WHERE event LIKE 'member_%' AND detail LIKE ?1 ORDER BY id",
    )
      .bind(`organization ${org.id}, %`)
      .all();
    expect(events.results).toEqual([
      { user_id: user.id, event: "member_added", detail: `organization ${org.id}, user ${member.id}` },
      {
        user_id: user.id,
        event: "member_updated",
        detail: `organization ${org.id}, user ${member.id}: is_admin true, roles +[${role.id}] -[]`,
      },
      {
        user_id: user.id,
        event: "member_removed",
        detail: `organization ${org.id}, user ${member.id}, roles -[${role.id}]`,
      },
    ]);
  });

  it("lets an organization admin assign its organization's roles whose permissions it holds", async () => {
    const { user, token, org } = await orgAdmin();
    const role = await customRole(["trainings:read", "modules:read"], org.id);
    const member = await colleagueOf(user.id);
    const res = await send("PUT", `${ORGS}/${org.id}/members/${member.id}`, { role_ids: [role.id] }, token);
    expect((await body(res)).member.role_ids).toEqual([role.id]);
    const memberToken = await tokenFor(member.id);
    expect((await body(await send("GET", "/api/v1/users/me", undefined, memberToken))).user.role_ids).toContain(
      role.id,
    );
  });

  const membershipCount = async (userId: number, orgId: number) =>
    (
      await env.DB.prepare("SELECT count(*) AS n FROM organization_members WHERE user_id = ?1 AND organization_id = ?2")
        .bind(userId, orgId)
        .first<{ n: number }>()
    )?.n;

  it("refuses roles of other organizations and global roles (404 ROLE_NOT_FOUND), saving no membership", async () => {
    const { user, token, org } = await orgAdmin();
    const member = await colleagueOf(user.id);
    const foreign = await customRole(["trainings:read"], (await organization()).id);
    await expectError(
      await send("PUT", `${ORGS}/${org.id}/members/${member.id}`, { role_ids: [foreign.id] }, token),
      404,
      "ROLE_NOT_FOUND",
    );
    await expectError(
      await send("PUT", `${ORGS}/${org.id}/members/${member.id}`, { role_ids: [await systemRoleId("ADMIN")] }, token),
      404,
      "ROLE_NOT_FOUND",
    );
    expect(await membershipCount(member.id, org.id)).toBe(0);
  });

  it("refuses roles granting what the admin lacks (403 PRIVILEGE_ESCALATION), saving no membership", async () => {
    const { user, token, org } = await orgAdmin();
    const member = await colleagueOf(user.id);
    const mighty = await customRole(["users:manage_access"], org.id);
    const json = await expectError(
      await send("PUT", `${ORGS}/${org.id}/members/${member.id}`, { role_ids: [mighty.id] }, token),
      403,
      "PRIVILEGE_ESCALATION",
    );
    expect(json.detail).toContain("users:manage_access");
    expect(await membershipCount(member.id, org.id)).toBe(0);
  });

  it("refuses to remove a role, or the member holding it, that grants what the admin lacks (403), changing nothing", async () => {
    const { user, token, org } = await orgAdmin();
    const { token: adminToken } = await fixtureAdmin();
    const member = await colleagueOf(user.id);
    const mighty = await customRole(["users:manage_access"], org.id);
    const given = await send("PUT", `${ORGS}/${org.id}/members/${member.id}`, { role_ids: [mighty.id] }, adminToken);
    expect((await body(given)).member.role_ids).toEqual([mighty.id]);
    await expectError(
      await send("PUT", `${ORGS}/${org.id}/members/${member.id}`, { role_ids: [] }, token),
      403,
      "PRIVILEGE_ESCALATION",
    );
    await expectError(
      await send("DELETE", `${ORGS}/${org.id}/members/${member.id}`, undefined, token),
      403,
      "PRIVILEGE_ESCALATION",
    );
    expect(await membershipCount(member.id, org.id)).toBe(1);
    const roles = await env.DB.prepare("SELECT role_id FROM user_roles WHERE user_id = ?1").bind(member.id).all();
    expect(roles.results).toContainEqual({ role_id: mighty.id });
  });

  it("drops a member's roles of the organization when it leaves", async () => {
    const { token: adminToken } = await fixtureAdmin();
    const org = await organization();
    const role = await customRole(["trainings:read"], org.id);
    const member = await createUser();
    await send("PUT", `${ORGS}/${org.id}/members/${member.id}`, { role_ids: [role.id] }, adminToken);
    await send("DELETE", `${ORGS}/${org.id}/members/${member.id}`, undefined, adminToken);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM user_roles WHERE user_id = ?1 AND role_id = ?2")
      .bind(member.id, role.id)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
  });

  it("drops a user's roles of an organization removed from its organization_ids", async () => {
    const { token } = await fixtureAdmin();
    const org = await organization();
    const role = await customRole(["trainings:read"], org.id);
    const target = await createUser();
    const joined = await send(
      "PUT",
      `/api/v1/users/${target.id}`,
      { organization_ids: [org.id], role_ids: [role.id] },
      token,
    );
    expect((await body(joined)).user).toMatchObject({ organization_ids: [org.id], role_ids: [role.id] });
    const left = await send("PUT", `/api/v1/users/${target.id}`, { organization_ids: [] }, token);
    expect((await body(left)).user).toMatchObject({ organization_ids: [], role_ids: [] });
  });

  it("refuses a role of an organization the user has left (422)", async () => {
    const { token } = await fixtureAdmin();
    const org = await organization();
    const role = await customRole(["trainings:read"], org.id);
    const target = await createUser();
    await send("PUT", `/api/v1/users/${target.id}`, { organization_ids: [org.id], role_ids: [role.id] }, token);
    await send("PUT", `/api/v1/users/${target.id}`, { organization_ids: [] }, token);
    const orphan = await send("PUT", `/api/v1/users/${target.id}`, { role_ids: [role.id] }, token);
    await expectError(orphan, 422, "VALIDATION_ERROR");
  });

  it("answers 404 to an organization admin managing another organization's members", async () => {
    const { token } = await orgAdmin();
    const other = await organization();
    const someone = await createUser();
    await expectError(
      await send("GET", `${ORGS}/${other.id}/members`, undefined, token),
      404,
      "ORGANIZATION_NOT_FOUND",
    );
    await expectError(
      await send("PUT", `${ORGS}/${other.id}/members/${someone.id}`, {}, token),
      404,
      "ORGANIZATION_NOT_FOUND",
    );
  });

  it("refuses an EMPLOYEE managing members with 403", async () => {
    const other = await organization();
    const someone = await createUser();
    const { token: employee } = await signedIn("EMPLOYEE");
    await expectError(await send("GET", `${ORGS}/${other.id}/members`, undefined, employee), 403, "FORBIDDEN");
    await expectError(await send("PUT", `${ORGS}/${other.id}/members/${someone.id}`, {}, employee), 403, "FORBIDDEN");
  });

  it("refuses unknown fields in a membership with 422", async () => {
    const { token, org } = await orgAdmin();
    const member = await createUser();
    const res = await send("PUT", `${ORGS}/${org.id}/members/${member.id}`, { is_owner: true }, token);
    await expectError(res, 422, "VALIDATION_ERROR");
  });

  it("gives an organization admin no global permission", async () => {
    const { token } = await orgAdmin();
    await expectError(await send("GET", "/api/v1/users", undefined, token), 403, "FORBIDDEN");
    await expectError(await send("POST", "/api/v1/roles", { name: unique("r") }, token), 403, "FORBIDDEN");
  });
});

describe("organization writes' D1 round trips (issue 18: at most two)", () => {
  /** The status and round trips of one request, sent with a counting D1 binding. */
  async function trips(method: string, path: string, token: string, json?: unknown): Promise<[number, number]> {
    await app.request("/api/v1/hello", {}, env);
    const { db, counter } = countingDb(env.DB);
    const headers = {
      Authorization: `Bearer ${token}`,
      ...(json === undefined ? {} : { "Content-Type": "application/json" }),
    };
    const init = { method, headers, body: json === undefined ? undefined : JSON.stringify(json) };
    const res = await app.request(path, init, { ...env, DB: db });
    return [res.status, counter.trips];
  }

  /** A real access token (a sign-in's, carrying the authorization) for `login`'s credentials. */
  async function signIn(login: Record<string, string>): Promise<string> {
    const res = await send("POST", "/api/v1/auth/login", login);
    expect(res.status).toBe(200);
    return (await body(res)).access_token;
  }

  it("spend two on the variants the write walk doesn't send, for an ADMIN and for an organization admin", async () => {
    const adminUser = await registered("ad");
    const { token: fixture } = await fixtureAdmin();
    const promote = { role_ids: [await systemRoleId("ADMIN")] };
    expect((await send("PUT", `/api/v1/users/${adminUser.id}`, promote, fixture)).status).toBe(200);
    const admin = await signIn({ username: adminUser.username, password: REGISTERED_PASSWORD });
    const [user, other] = [await createUser(), await createUser()];
    const org = await organization([user.id]);
    const role = await customRole(["trainings:read"], org.id);
    const members = `${ORGS}/${org.id}/members`;
    expect(await trips("POST", ORGS, admin, { name: unique("Org ") })).toEqual([201, 1]);
    expect(await trips("PUT", `${ORGS}/${org.id}`, admin, { admin_ids: [user.id, other.id] })).toEqual([200, 2]);
    expect(await trips("PUT", `${members}/${other.id}`, admin, { is_admin: false })).toEqual([200, 2]);
    expect(await trips("PUT", `${members}/${user.id}`, admin, { role_ids: [role.id] })).toEqual([200, 2]);
    expect(await trips("DELETE", `${members}/${user.id}`, admin)).toEqual([200, 2]);

    // An organization admin's visibility of users is its organizations' members.
    const orgAdmin = await registered("oa");
    const own = await organization([orgAdmin.id, other.id]);
    const token = await signIn({ username: orgAdmin.username, password: REGISTERED_PASSWORD });
    expect(await trips("PUT", `${ORGS}/${own.id}`, token, { admin_ids: [orgAdmin.id, other.id] })).toEqual([200, 2]);
    expect(await trips("PUT", `${ORGS}/${own.id}/members/${other.id}`, token, { is_admin: false })).toEqual([200, 2]);
    expect(await trips("DELETE", `${ORGS}/${own.id}/members/${other.id}`, token)).toEqual([200, 2]);
  });
});
