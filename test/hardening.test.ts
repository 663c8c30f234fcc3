import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { configOf } from "../src/lib/config";
import { keyRing } from "../src/lib/jwt";
import { permissionIds } from "./access-fixtures";
import { createUser, signedIn, tokenFor } from "./factories";
import { body, call, env, expectError, send, unique } from "./helpers";

/** Security fixes of issue 19, item 8, each named after the attack it stops. */

const signedInAdmin = () => signedIn("ADMIN");
const signedInEmployee = () => signedIn("EMPLOYEE");

const REFRESH = "/api/v1/auth/refresh";
const LOGOUT = "/api/v1/auth/logout";

async function registered() {
  const username = unique("hard");
  const res = await send("POST", "/api/v1/auth/register", {
    username,
    email: `${username}@example.test`,
    password: "correct horse battery staple",
  });
  expect(res.status).toBe(201);
  const json = await body(res);
  const cookie = (name: string) =>
    res.headers
      .getSetCookie()
      .find((c) => c.startsWith(`${name}=`))
      ?.split(";")[0] ?? "";
  return { json, access: cookie("access_token"), refresh: cookie("refresh_token") };
}

describe("cookie-authenticated refresh and logout (attack: a cross-site form rotates or ends the victim's session)", () => {
  it("refuses a cookie refresh from another site with 403 CSRF_ORIGIN_REJECTED and rotates nothing", async () => {
    const { json, refresh } = await registered();
    for (const headers of [{ Origin: "https://evil.example" }, { "Sec-Fetch-Site": "cross-site" }] as Record<
      string,
      string
    >[]) {
      const res = await call(REFRESH, { method: "POST", headers: { Cookie: refresh, ...headers } });
      await expectError(res, 403, "CSRF_ORIGIN_REJECTED");
    }
    expect((await send("POST", REFRESH, { refresh_token: json.refresh_token })).status).toBe(200);
  });

  it("allows a cookie refresh from the app's origin", async () => {
    const { refresh } = await registered();
    const res = await call(REFRESH, {
      method: "POST",
      headers: { Cookie: refresh, Origin: "https://app.example.test" },
    });
    expect(res.status).toBe(200);
  });

  it("refuses a cookie logout from another site and keeps the session", async () => {
    const { json, access, refresh } = await registered();
    const res = await call(LOGOUT, {
      method: "POST",
      headers: { Cookie: `${access}; ${refresh}`, Origin: "https://evil.example" },
    });
    await expectError(res, 403, "CSRF_ORIGIN_REJECTED");
    expect((await send("GET", "/api/v1/auth/me", undefined, json.access_token)).status).toBe(200);
  });
});

describe("Cache-Control (attack: a shared or browser cache keeps personal data)", () => {
  it("answers no-store on authenticated and error responses, keeping a route's own header", async () => {
    const { json } = await registered();
    for (const path of ["/api/v1/auth/me", "/api/v1/users/me", "/api/v1/trainings"]) {
      const res = await send("GET", path, undefined, json.access_token);
      expect({ path, status: res.status, cc: res.headers.get("cache-control") }).toEqual({
        path,
        status: 200,
        cc: "no-store",
      });
    }
    expect((await call("/api/v1/auth/me")).headers.get("cache-control")).toBe("no-store");
    expect((await call("/.well-known/jwks.json")).headers.get("cache-control")).toBe("public, max-age=300");
  });
});

describe("duplicate auth cookies (attack: a sibling subdomain tosses its own access_token or refresh_token)", () => {
  it("refuses two access_token cookies with 400 DUPLICATE_COOKIE instead of using the first", async () => {
    const { access } = await registered();
    const other = await registered();
    const res = await call("/api/v1/auth/me", { headers: { Cookie: `${other.access}; ${access}` } });
    await expectError(res, 400, "DUPLICATE_COOKIE");
  });

  it("refuses two refresh_token cookies with 400 DUPLICATE_COOKIE and rotates neither", async () => {
    const { json, refresh } = await registered();
    const tossed = "refresh_token=attacker-value";
    const res = await call(REFRESH, { method: "POST", headers: { Cookie: `${tossed}; ${refresh}` } });
    await expectError(res, 400, "DUPLICATE_COOKIE");
    expect((await send("POST", REFRESH, { refresh_token: json.refresh_token })).status).toBe(200);
  });
});

describe("refresh replay within the grace window (attack: a stolen refresh token raced against its owner)", () => {
  it("is refused and recorded in the audit trail", async () => {
    const { json } = await registered();
    expect((await send("POST", REFRESH, { refresh_token: json.refresh_token })).status).toBe(200);
    await expectError(await send("POST", REFRESH, { refresh_token: json.refresh_token }), 401, "REFRESH_TOKEN_REUSED");
    const row = await env.DB.prepare(
      "SELECT count(*) AS n FROM auth_events WHERE user_id = ?1 AND event = 'refresh_replay_in_grace'",
    )
      .bind(json.user.id)
      .first<{ n: number }>();
    expect(row?.n).toBe(1);
  });
});

describe("token issuer and audience (attack: a token of another deployment sharing the key)", () => {
  /** An access token signed with this API's key, for a live session, with the given `iss` and `aud`. */
  async function tokenWith(iss: string, aud: string) {
    const user = await createUser();
    await tokenFor(user.id);
    const sid = crypto.randomUUID();
    await env.DB.prepare("INSERT INTO sessions (id, user_id, expires_at) VALUES (?1, ?2, '2999-01-01T00:00:00.000Z')")
      .bind(sid, user.id)
      .run();
    const ring = await keyRing(env.JWT_PRIVATE_KEY, env.JWT_PREVIOUS_PUBLIC_KEY, configOf(env).jwt);
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ sid, token_use: "access" })
      .setProtectedHeader({ alg: "ES256", kid: ring.kid, typ: "at+jwt" })
      .setSubject(String(user.id))
      .setJti(unique("j"))
      .setIssuer(iss)
      .setAudience(aud)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 900)
      .sign(ring.privateKey);
  }

  it("issues tokens with iss = PUBLIC_URL and aud = JWT_AUDIENCE (default: the issuer)", async () => {
    const { json } = await registered();
    const claims = JSON.parse(atob((json.access_token.split(".")[1] as string).replace(/-/g, "+").replace(/_/g, "/")));
    expect(claims).toMatchObject({ iss: "https://api.example.test", aud: "https://api.example.test" });
  });

  it("refuses a token of the constant issuer every deployment used to share, and one of another audience", async () => {
    for (const [iss, aud] of [
      ["identity-training-api", "identity-training-api"],
      ["https://staging.example.test", "https://api.example.test"],
      ["https://api.example.test", "https://other-api.example.test"],
    ] as const) {
      await expectError(
        await send("GET", "/api/v1/auth/me", undefined, await tokenWith(iss, aud)),
        401,
        "INVALID_TOKEN",
      );
    }
    expect(
      (
        await send(
          "GET",
          "/api/v1/auth/me",
          undefined,
          await tokenWith("https://api.example.test", "https://api.example.test"),
        )
      ).status,
    ).toBe(200);
  });
});

describe("audit of access-control changes and refusals (attack: escalating or probing unnoticed)", () => {
  const eventsOf = async (userId: number, like: string) =>
    (
      await env.DB.prepare("SELECT event, detail FROM auth_events WHERE user_id = ?1 AND event LIKE ?2 ORDER BY id")
        .bind(userId, like)
        .all<{ event: string; detail: string }>()
    ).results;

  it("records role and permission changes with who made them", async () => {
    const { user: admin, token } = await signedInAdmin();
    const [readId] = await permissionIds(["trainings:read"]);
    const perm = await body(
      await send(
        "POST",
        "/api/v1/permissions",
        { name: unique("Audited permission "), resource: unique("res").toLowerCase(), action: "run" },
        token,
      ),
    );
    const role = await body(
      await send("POST", "/api/v1/roles", { name: unique("audited"), permission_ids: [readId] }, token),
    );
    await send("PUT", `/api/v1/roles/${role.role.id}`, { description: "d" }, token);
    await send("PUT", `/api/v1/roles/${role.role.id}/permissions`, { permission_ids: [perm.permission.id] }, token);
    await send("PUT", `/api/v1/roles/${role.role.id}/permissions`, { permission_ids: [] }, token);
    await send("PUT", `/api/v1/permissions/${perm.permission.id}`, { action: "walk" }, token);
    expect((await send("DELETE", `/api/v1/permissions/${perm.permission.id}`, undefined, token)).status).toBe(200);
    expect((await send("DELETE", `/api/v1/roles/${role.role.id}`, undefined, token)).status).toBe(200);
    expect((await eventsOf(admin.id, "role_%")).map((e) => e.event)).toEqual([
      "role_created",
      "role_updated",
      "role_updated",
      "role_updated",
      "role_deleted",
    ]);
    expect((await eventsOf(admin.id, "permission_%")).map((e) => e.event)).toEqual([
      "permission_created",
      "permission_updated",
      "permission_deleted",
    ]);
  });

  it("records every 403 with the caller, the route and the code", async () => {
    const { user, token } = await signedInEmployee();
    await expectError(await send("GET", "/api/v1/users", undefined, token), 403, "FORBIDDEN");
    expect(await eventsOf(user.id, "forbidden")).toEqual([
      { event: "forbidden", detail: "GET /api/v1/users: FORBIDDEN" },
    ]);
  });
});

describe("look-alike role and organization names (attack: a custom role that reads as ADMIN)", () => {
  it("refuses a custom role named ΑDMIN with a Greek alpha, or АDMIN with a Cyrillic A, or full-width ＡＤＭＩＮ", async () => {
    const { token } = await signedInAdmin();
    for (const name of ["\u0391DMIN", "\u0410DMIN", "\uFF21\uFF24\uFF2D\uFF29\uFF2E", "AD\u200BMIN", "ÁDMIN"]) {
      const res = await send("POST", "/api/v1/roles", { name }, token);
      expect({ name, status: res.status, code: (await body(res)).code }).toEqual({
        name,
        status: 409,
        code: "ROLE_NAME_TAKEN",
      });
    }
  });

  it("refuses a custom role or organization whose name only looks different from an existing one", async () => {
    const { token } = await signedInAdmin();
    const base = `Trainers ${unique("x").replace(/[0-9]/g, "")}`;
    expect((await send("POST", "/api/v1/roles", { name: base }, token)).status).toBe(201);
    const cyrillic = base.replace("T", "\u0422").replace("e", "\u0435");
    await expectError(await send("POST", "/api/v1/roles", { name: cyrillic }, token), 409, "ROLE_NAME_TAKEN");
    const org = `Acme ${unique("o").replace(/[0-9]/g, "")}`;
    expect((await send("POST", "/api/v1/organizations", { name: org }, token)).status).toBe(201);
    for (const lookalike of [org.replace("A", "\u0391"), org.replace("c", "\u0441"), `  ${org.replace(" ", "   ")} `]) {
      await expectError(
        await send("POST", "/api/v1/organizations", { name: lookalike }, token),
        409,
        "ORGANIZATION_NAME_TAKEN",
      );
    }
  });

  it("accepts distinct names in other scripts", async () => {
    const { token } = await signedInAdmin();
    const suffix = unique("n");
    for (const name of [`東京支社 ${suffix}`, `Αθήνα ${suffix}`]) {
      expect((await send("POST", "/api/v1/organizations", { name }, token)).status).toBe(201);
    }
  });
});
