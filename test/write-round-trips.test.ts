import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { base32Decode, hotp, totpStep } from "../src/lib/totp";
import { unsubscribeToken } from "../src/modules/reports/unsubscribe-token";
import { customRole, organization, permissionIds } from "./access-fixtures";
import { createTraining, createUser, REGISTERED_PASSWORD, type Registered, registered } from "./factories";
import { body, countingDb, env, send, unique } from "./helpers";
import { tokenFromEmail } from "./links";
import { consume, createEndpoint, deliveryRow, receiverUrl, storedEvent } from "./webhook-helpers";

/**
 * D1 round trips of every write (issue 18: a write spends at most two). Each operation of the
 * OpenAPI document that writes is sent once, successfully, with a counting D1 binding; what the
 * request needs is set up first through the normal bindings (not counted).
 */

const PASSWORD = REGISTERED_PASSWORD;
const NEW_PASSWORD = "another long passphrase";
const TWO_PERMISSIONS = ["trainings:read", "trainings:create"];

/** A request of the walk: the concrete path and what to send. */
interface Sent {
  path: string;
  init: RequestInit;
}

const request = (method: string, path: string, json?: unknown, token?: string): Sent => ({
  path,
  init: {
    method,
    headers: {
      ...(json === undefined ? {} : { "Content-Type": "application/json" }),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: json === undefined ? undefined : JSON.stringify(json),
  },
});

/**
 * The bootstrap ADMIN signed in through the API: a real access token, carrying its authorization
 * (a token made by `tokenFor` has none and would cost a round trip of its own).
 */
async function adminToken(): Promise<string> {
  const res = await send("POST", "/api/v1/auth/login", { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD });
  expect(res.status).toBe(200);
  return (await body(res)).access_token;
}

/** A registered user signed in a second time (two sessions). */
async function signedInTwice(): Promise<Registered> {
  const user = await registered("wt");
  const again = await send("POST", "/api/v1/auth/login", { username: user.username, password: PASSWORD });
  expect(again.status).toBe(200);
  return user;
}

/** A registered user with TOTP set up (`enable: false`) or on, and its secret. */
async function withTotp(enable: boolean) {
  const user = await registered("wt");
  const setup = await send("POST", "/api/v1/auth/mfa/totp/setup", undefined, user.access);
  expect(setup.status).toBe(200);
  const secret = base32Decode((await body(setup)).secret);
  const step = totpStep(Date.now());
  if (enable) {
    const on = await send("POST", "/api/v1/auth/mfa/totp/enable", { code: await hotp(secret, step) }, user.access);
    expect(on.status).toBe(200);
  }
  return { ...user, secret, step };
}

const created = async (res: Response, key: string): Promise<{ id: number }> => {
  expect(res.status, `${res.url}: ${res.status}`).toBe(201);
  return (await body(res))[key];
};

const newModule = async (token: string) =>
  created(await send("POST", "/api/v1/modules", { title: unique("Module ") }, token), "module");
const newPermission = async (token: string) =>
  created(
    await send(
      "POST",
      "/api/v1/permissions",
      { name: unique("Perm "), resource: unique("res"), action: "read" },
      token,
    ),
    "permission",
  );
const newRegistration = async (token: string) => {
  const training = await createTraining(token);
  const user = await createUser();
  return created(
    await send("POST", "/api/v1/registrations", { training_id: training.id, user_id: user.id }, token),
    "registration",
  );
};
const newReport = async (token: string) =>
  created(
    await send("POST", "/api/v1/reports/generate", { period_start: "2001-01-01", period_end: "2001-01-03" }, token),
    "report",
  );

/** A write: the status of its success, and the request (set up first as `admin`) that gets it. */
interface Write {
  status: number;
  prepare(admin: string, method: string, template: string): Promise<Sent>;
}

/** The operation as `admin`, with `json`, on the path as the document states it. */
const asAdmin = (json?: unknown, status = 200): Write => ({
  status,
  prepare: async (admin, method, template) => request(method, template, json, admin),
});

/** The operation as `admin` on a thing `make` creates first (`{id}` in the path is its id). */
const onNew = (make: (admin: string) => Promise<{ id: number }>, json?: unknown, status = 200): Write => ({
  status,
  prepare: async (admin, method, template) =>
    request(method, template.replace("{id}", String((await make(admin)).id)), json, admin),
});

/** The operation by a new registered user, with the body `json` makes for it. */
const asRegistered = (json: (user: Registered) => unknown, status = 200): Write => ({
  status,
  prepare: async (_admin, method, template) => {
    const user = await registered("wt");
    return request(method, template, json(user), user.access);
  },
});

/** The operation without a token, with the body `json` makes for a new registered user. */
const forRegistered = (json: (user: Registered) => Promise<unknown>, status = 200): Write => ({
  status,
  prepare: async (_admin, method, template) => request(method, template, await json(await registered("wt"))),
});

const newEndpoint = async () => (await createEndpoint({ url: receiverUrl("ok").url })).webhook as { id: number };
const newKey = async (admin: string) =>
  created(await send("POST", "/api/v1/integration-keys", { name: unique("key ") }, admin), "integration_key");
const TRAINING = { category: "TECHNICAL", level: "BEGINNER", status: "PUBLISHED" };

/**
 * One successful request per write operation (key: method and path as the OpenAPI document states
 * them), its status, and the setup it needs (run with the normal bindings).
 */
const WRITES: Record<string, Write> = {
  // Authentication (register, login, refresh, magic-link verify and MFA verify: see SIGN_IN_ELSEWHERE)
  "POST /api/v1/auth/logout": asRegistered(() => undefined),
  "POST /api/v1/auth/change-password": asRegistered(() => ({
    current_password: PASSWORD,
    new_password: NEW_PASSWORD,
  })),
  "POST /api/v1/auth/magic-link": forRegistered(async (user) => ({ email: user.email }), 202),
  "POST /api/v1/auth/password-reset": forRegistered(async (user) => ({ email: user.email }), 202),
  "POST /api/v1/auth/password-reset/confirm": forRegistered(async (user) => {
    expect((await send("POST", "/api/v1/auth/password-reset", { email: user.email })).status).toBe(202);
    return { token: await tokenFromEmail(user.email, "password_reset"), new_password: NEW_PASSWORD };
  }),
  "POST /api/v1/auth/verify-email": asRegistered(() => undefined, 202),
  "POST /api/v1/auth/verify-email/confirm": forRegistered(async (user) => ({
    token: await tokenFromEmail(user.email, "email_verification"),
  })),
  "POST /api/v1/auth/confirm-email": forRegistered(async (user) => {
    const next = `${unique("new")}@example.test`;
    expect((await send("PATCH", `/api/v1/users/${user.id}`, { email: next }, user.access)).status).toBe(200);
    return { token: await tokenFromEmail(next, "email_change") };
  }),
  "POST /api/v1/auth/mfa/totp/setup": asRegistered(() => undefined),
  "POST /api/v1/auth/mfa/totp/enable": {
    status: 200,
    prepare: async (_admin, method, template) => {
      const user = await withTotp(false);
      return request(method, template, { code: await hotp(user.secret, user.step) }, user.access);
    },
  },
  "POST /api/v1/auth/mfa/totp/disable": {
    status: 200,
    prepare: async (_admin, method, template) => {
      const user = await withTotp(true);
      return request(method, template, { code: await hotp(user.secret, user.step + 1) }, user.access);
    },
  },
  "DELETE /api/v1/auth/sessions": {
    status: 200,
    prepare: async (_admin, method, template) => {
      const user = await signedInTwice();
      return request(method, template, undefined, user.access);
    },
  },
  "DELETE /api/v1/auth/sessions/{session_id}": {
    status: 200,
    prepare: async (_admin, method, template) => {
      const user = await signedInTwice();
      const list = await body(await send("GET", "/api/v1/auth/sessions", undefined, user.access));
      const other = (list.sessions as { id: string; current: boolean }[]).find((s) => !s.current);
      return request(method, template.replace("{session_id}", String(other?.id)), undefined, user.access);
    },
  },

  // Users
  "POST /api/v1/users": {
    status: 201,
    // With a role and an organization: the access fields are what the route reads before writing.
    prepare: async (admin, method, template) => {
      const username = unique("wu");
      const org = await organization();
      const json = { username, email: `${username}@example.test`, password: PASSWORD, role: "KNOWLEDGE_MANAGER" };
      return request(method, template, { ...json, organization_ids: [org.id] }, admin);
    },
  },
  "PUT /api/v1/users/{id}": {
    status: 200,
    // Profile and access together (PATCH below changes the profile only).
    prepare: async (admin, method, template) => {
      const org = await organization();
      const role = await customRole(["trainings:read"], org.id);
      const json = { full_name: "Put Name", role_ids: [role.id], organization_ids: [org.id] };
      return request(method, template.replace("{id}", String((await createUser()).id)), json, admin);
    },
  },
  "PATCH /api/v1/users/{id}": onNew(() => createUser(), { department: "Ops" }),
  "DELETE /api/v1/users/{id}": onNew(() => createUser()),
  "PATCH /api/v1/admin/users/{id}/toggle-status": onNew(() => createUser()),
  "DELETE /api/v1/users/{id}/sessions": onNew(() => registered("wt")),
  "POST /api/v1/users/{id}/login-link": {
    status: 201,
    prepare: async (admin, method, template) => {
      const { key } = await body(await send("POST", "/api/v1/integration-keys", { name: unique("key ") }, admin));
      const sent = request(method, template.replace("{id}", String((await createUser()).id)), undefined, admin);
      return { ...sent, init: { ...sent.init, headers: { ...sent.init.headers, "X-Integration-Key": key } } };
    },
  },
  "PUT /api/v1/users/{id}/progress/{module_id}": {
    status: 201,
    prepare: async (admin, method, template) => {
      const path = template.replace("{id}", String((await createUser()).id));
      return request(method, path.replace("{module_id}", String((await newModule(admin)).id)), { score: 50 }, admin);
    },
  },

  // Organizations
  "POST /api/v1/organizations": {
    status: 201,
    prepare: async (admin, method, template) =>
      request(method, template, { name: unique("Org "), admin_ids: [(await createUser()).id] }, admin),
  },
  "PUT /api/v1/organizations/{id}": onNew(() => organization(), { description: "Ours" }),
  "DELETE /api/v1/organizations/{id}": onNew(() => organization()),
  "PUT /api/v1/organizations/{id}/members/{user_id}": {
    status: 200,
    prepare: async (admin, method, template) => {
      const org = await organization();
      const role = await customRole(["trainings:read"], org.id);
      const path = template.replace("{id}", String(org.id)).replace("{user_id}", String((await createUser()).id));
      return request(method, path, { role_ids: [role.id] }, admin);
    },
  },
  "DELETE /api/v1/organizations/{id}/members/{user_id}": {
    status: 200,
    prepare: async (admin, method, template) => {
      const user = await createUser();
      const org = await organization([user.id]);
      return request(
        method,
        template.replace("{id}", String(org.id)).replace("{user_id}", String(user.id)),
        undefined,
        admin,
      );
    },
  },

  // Permissions and roles
  "POST /api/v1/permissions": asAdmin({ name: unique("Perm "), resource: unique("res"), action: "read" }, 201),
  "PUT /api/v1/permissions/{id}": onNew(newPermission, { name: unique("Renamed ") }),
  "DELETE /api/v1/permissions/{id}": onNew(newPermission),
  "POST /api/v1/roles": {
    status: 201,
    prepare: async (admin, method, template) =>
      request(method, template, { name: unique("Role "), permission_ids: await permissionIds(TWO_PERMISSIONS) }, admin),
  },
  "PUT /api/v1/roles/{id}": {
    status: 200,
    prepare: async (admin, method, template) => {
      const json = { name: unique("Renamed "), permission_ids: await permissionIds(TWO_PERMISSIONS) };
      return request(method, template.replace("{id}", String((await customRole(["trainings:read"])).id)), json, admin);
    },
  },
  "DELETE /api/v1/roles/{id}": onNew(() => customRole([])),
  "PUT /api/v1/roles/{id}/permissions": {
    status: 200,
    prepare: async (admin, method, template) => {
      const json = { permission_ids: await permissionIds(TWO_PERMISSIONS) };
      return request(method, template.replace("{id}", String((await customRole(["modules:read"])).id)), json, admin);
    },
  },

  // Trainings and registrations
  "POST /api/v1/trainings": asAdmin({ title: unique("Training "), ...TRAINING }, 201),
  "PUT /api/v1/trainings/{id}": onNew(createTraining, { title: unique("Put ") }),
  "PATCH /api/v1/trainings/{id}": onNew(createTraining, { title: unique("Patch ") }),
  "DELETE /api/v1/trainings/{id}": onNew(createTraining),
  "POST /api/v1/registrations": {
    status: 201,
    prepare: async (admin, method, template) => {
      const json = { training_id: (await createTraining(admin)).id, user_id: (await createUser()).id };
      return request(method, template, json, admin);
    },
  },
  "POST /api/v1/trainings/{id}/register": {
    status: 201,
    prepare: async (admin, method, template) => {
      const path = template.replace("{id}", String((await createTraining(admin)).id));
      return request(method, path, { user_id: (await createUser()).id }, admin);
    },
  },
  "PUT /api/v1/registrations/{id}": onNew(newRegistration, { status: "ATTENDED" }),
  "PATCH /api/v1/registrations/{id}": onNew(newRegistration, { status: "ATTENDED" }),
  "DELETE /api/v1/registrations/{id}": onNew(newRegistration),

  // Learning modules
  "POST /api/v1/modules": asAdmin({ title: unique("Module "), max_score: 80 }, 201),
  "PUT /api/v1/modules/{id}": onNew(newModule, { title: unique("Put ") }),
  "PATCH /api/v1/modules/{id}": onNew(newModule, { title: unique("Patch ") }),
  "DELETE /api/v1/modules/{id}": onNew(newModule),

  // Integration keys
  "POST /api/v1/integration-keys": asAdmin({ name: unique("key ") }, 201),
  "DELETE /api/v1/integration-keys/{id}": onNew(newKey),

  // Reports
  "POST /api/v1/reports/generate": asAdmin({ period_start: "2001-01-01", period_end: "2001-01-03" }, 201),
  "POST /api/v1/reports/send": {
    status: 202,
    prepare: async (admin, method, template) =>
      request(method, template, { report_id: (await newReport(admin)).id, subject: "Weekly" }, admin),
  },
  "POST /api/v1/unsubscribe": {
    status: 200,
    // The one-click POST of a report email's List-Unsubscribe header (RFC 8058).
    prepare: async (_admin, method, template) => {
      const token = await unsubscribeToken(env.PASSWORD_PEPPER, (await createUser()).id);
      return {
        path: `${template}?token=${encodeURIComponent(token)}`,
        init: {
          method,
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: "List-Unsubscribe=One-Click",
        },
      };
    },
  },

  // Webhooks
  "POST /api/v1/webhooks": asAdmin({ url: receiverUrl("ok").url, events: ["training.created"] }, 201),
  "PUT /api/v1/webhooks/{id}": onNew(newEndpoint, { url: receiverUrl("ok").url, events: ["training.updated"] }),
  "PATCH /api/v1/webhooks/{id}": onNew(newEndpoint, { description: "renamed" }),
  "DELETE /api/v1/webhooks/{id}": onNew(newEndpoint),
  "POST /api/v1/webhooks/{id}/rotate-secret": onNew(newEndpoint),
  "POST /api/v1/webhooks/{id}/test": onNew(newEndpoint, undefined, 202),
  "POST /api/v1/webhooks/{id}/deliveries/{delivery_id}/retry": {
    status: 202,
    // A delivery that was delivered, sent again.
    prepare: async (admin, method, template) => {
      const webhook = await newEndpoint();
      const eventId = await storedEvent();
      await consume([{ event_id: eventId, endpoint_id: webhook.id }]);
      const delivery = await deliveryRow(eventId, webhook.id);
      const path = template.replace("{id}", String(webhook.id)).replace("{delivery_id}", String(delivery?.id));
      return request(method, path, undefined, admin);
    },
  },

  // Chat: a message in a known conversation that asks about the catalog (its costliest path)
  "POST /api/v1/chat/send": {
    status: 200,
    prepare: async (admin, method, template) => {
      const first = await send("POST", template, { message: "hello" }, admin);
      expect(first.status).toBe(200);
      const json = {
        message: "Which trainings have free seats?",
        conversation_id: (await body(first)).data.conversation_id,
      };
      return request(method, template, json, admin);
    },
  },
};

/** Writes whose round trips `round-trips.test.ts` already counts (the sign-in flows). */
const SIGN_IN_ELSEWHERE: Record<string, string> = {
  "POST /api/v1/auth/login": "D1 round trips of signing in",
  "POST /api/v1/auth/register": "D1 round trips of registering",
  "POST /api/v1/auth/refresh": "D1 round trips of registering (the refresh after it)",
  "POST /api/v1/auth/magic-link/verify": "D1 round trips of the other sign-in steps",
  "POST /api/v1/auth/mfa/verify": "D1 round trips of the other sign-in steps",
};

describe("D1 round trips of every write", async () => {
  const doc = await (await app.request("/openapi.json", {}, env)).json<{ paths: Record<string, object> }>();
  const writes = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((method) => ["post", "put", "patch", "delete"].includes(method))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );

  it("walks every write operation of the OpenAPI document (or names where it is counted)", () => {
    const accounted = [...Object.keys(WRITES), ...Object.keys(SIGN_IN_ELSEWHERE)];
    expect(
      writes.filter((w) => !accounted.includes(w)),
      "write operations the walk misses",
    ).toEqual([]);
    expect(
      accounted.filter((w) => !writes.includes(w)),
      "walked operations the document lacks",
    ).toEqual([]);
  });

  it.each(Object.keys(WRITES))("%s", async (operation) => {
    const write = WRITES[operation];
    if (!write) throw new Error(operation);
    const [method = "", template = ""] = operation.split(" ");
    const { path, init } = await write.prepare(await adminToken(), method, template);
    await app.request("/api/v1/hello", {}, env);
    const { db, counter } = countingDb(env.DB);
    const res = await app.request(path, init, { ...env, DB: db });
    const trips = counter.trips;
    console.log(`write-trips | ${operation} | ${res.status} | ${trips}`);
    expect(res.status, `${operation}: ${await res.clone().text()}`).toBe(write.status);
    expect(trips).toBeLessThanOrEqual(2);
  });
});
