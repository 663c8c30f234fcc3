import { afterEach, describe, expect, it, vi } from "vitest";
import { systemClock } from "../src/lib/clock";
import { COMMON_PASSWORD_FILTER } from "../src/lib/common-passwords-filter";
import { fixtureAdmin } from "./access-fixtures";
import { body, clientAt, env, expectError, send, unique } from "./helpers";
import { tokenFromEmail } from "./links";

/**
 * The common-password list is a static asset (`public/password-policy/common-passwords.gcs`) read
 * through the ASSETS binding (issue 18: it was about 17 KiB of the gzipped bundle). Tests hand the
 * Worker other ASSETS fetchers through `clientAt`; each fetcher object is loaded from on its own.
 */

const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "another long passphrase 42";
const ASSET_URL = `https://assets.test${COMMON_PASSWORD_FILTER.path}`;
const UNAVAILABLE = "PASSWORD_POLICY_UNAVAILABLE";

/** Every source file's text, read at build time (tests run in workerd, which has no file system). */
const sources = import.meta.glob("../src/**/*.ts", { query: "?raw", import: "default", eager: true }) as Record<
  string,
  string
>;

/** An ASSETS binding whose `fetch` is `handler`, counting its calls. */
function fakeAssets(handler: (url: string) => Promise<Response>) {
  const calls = { count: 0 };
  const fetcher = {
    fetch: (input: RequestInfo | URL) => {
      calls.count += 1;
      return handler(String(input instanceof Request ? input.url : input));
    },
  } as unknown as Fetcher;
  return { fetcher, calls };
}

/** The real asset's bytes, changed by `change`. */
const altered = (change: (bytes: Uint8Array) => Uint8Array) => async (url: string) => {
  const bytes = new Uint8Array(await (await env.ASSETS.fetch(url)).arrayBuffer());
  return new Response(change(bytes));
};

const registration = (password = PASSWORD) => {
  const username = unique("pp");
  return { username, email: `${username}@example.test`, password };
};

const userRows = async (username: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM users WHERE username = ?1").bind(username).first<{ n: number }>())
    ?.n;

async function registered() {
  const input = registration();
  const res = await send("POST", "/api/v1/auth/register", input);
  expect(res.status).toBe(201);
  return { ...input, access: (await body(res)).access_token as string };
}

const login = (email: string, password: string) => send("POST", "/api/v1/auth/login", { email, password });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the common-password list, a static asset", () => {
  it("is not in the Worker's code: src/ holds only what the asset must be (its size, count and SHA-256)", async () => {
    const large = Object.entries(sources)
      .filter(([, text]) => /[A-Za-z0-9+/]{1000,}/.test(text))
      .map(([file]) => file);
    expect(large).toEqual([]);
    const res = await env.ASSETS.fetch(ASSET_URL);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(COMMON_PASSWORD_FILTER.bytes);
  });

  it("refuses a common password on every path that sets one: register, reset, change, admin create", async () => {
    const common = "Welcome2026!";
    const policy = { type: "value_error.common_password" };
    const reg = await send("POST", "/api/v1/auth/register", registration(common));
    expect((await expectError(reg, 422, "VALIDATION_ERROR")).detail[0]).toMatchObject(policy);

    const user = await registered();
    const change = await send(
      "POST",
      "/api/v1/auth/change-password",
      { current_password: PASSWORD, new_password: common },
      user.access,
    );
    expect((await expectError(change, 422, "VALIDATION_ERROR")).detail[0]).toMatchObject(policy);

    expect((await send("POST", "/api/v1/auth/password-reset", { email: user.email })).status).toBe(202);
    const token = await tokenFromEmail(user.email, "password_reset");
    const reset = await send("POST", "/api/v1/auth/password-reset/confirm", { token, new_password: common });
    expect((await expectError(reset, 422, "VALIDATION_ERROR")).detail[0]).toMatchObject(policy);

    const { token: adminToken } = await fixtureAdmin();
    const created = await send("POST", "/api/v1/users", registration(common), adminToken);
    expect((await expectError(created, 422, "VALIDATION_ERROR")).detail[0]).toMatchObject(policy);
  });

  it("fails closed: without an ASSETS binding, registering answers 503 PASSWORD_POLICY_UNAVAILABLE and writes nothing", async () => {
    const input = registration();
    const res = await clientAt(systemClock, { ASSETS: undefined }).send("POST", "/api/v1/auth/register", input);
    await expectError(res, 503, UNAVAILABLE);
    expect(await userRows(input.username)).toBe(0);
  });

  it("fails closed on an asset that is missing (404), truncated, or has one bit changed: 503, nothing written", async () => {
    const broken = {
      missing: async () => new Response("Not Found", { status: 404 }),
      truncated: altered((bytes) => bytes.slice(0, -1)),
      "one bit changed": altered((bytes) => {
        bytes[1000] = (bytes[1000] as number) ^ 1;
        return bytes;
      }),
      "HTML instead": async () => new Response("<!doctype html><title>app</title>", { status: 200 }),
    };
    for (const [name, handler] of Object.entries(broken)) {
      const { fetcher, calls } = fakeAssets(handler);
      const input = registration();
      const res = await clientAt(systemClock, { ASSETS: fetcher }).send("POST", "/api/v1/auth/register", input);
      expect({ name, status: res.status, code: (await body(res)).code }).toEqual({
        name,
        status: 503,
        code: UNAVAILABLE,
      });
      expect({ name, rows: await userRows(input.username), calls: calls.count }).toEqual({ name, rows: 0, calls: 1 });
    }
  });

  it("logs a failure once, tries again on later requests, and once loaded reads the asset no more", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    let failures = 2;
    const { fetcher, calls } = fakeAssets(async (url) => {
      if (failures-- <= 0) return env.ASSETS.fetch(url);
      // Slow enough that a concurrent request finds the load under way.
      await new Promise((resolve) => setTimeout(resolve, 50));
      return new Response("unavailable", { status: 500 });
    });
    const client = clientAt(systemClock, { ASSETS: fetcher });
    // Two concurrent requests share one load: one asset read, one failure.
    const first = await Promise.all([0, 1].map(() => client.send("POST", "/api/v1/auth/register", registration())));
    expect(first.map((r) => r.status)).toEqual([503, 503]);
    expect(calls.count).toBe(1);
    await expectError(await client.send("POST", "/api/v1/auth/register", registration()), 503, UNAVAILABLE);
    expect(calls.count).toBe(2);
    const logged = errors.mock.calls.map((args) => String(args[0])).filter((l) => l.includes("common-password list"));
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0] as string)).toMatchObject({ level: "error", asset: COMMON_PASSWORD_FILTER.path });

    for (const password of [PASSWORD, "Tq8#vLm2!xR9"]) {
      expect((await client.send("POST", "/api/v1/auth/register", registration(password))).status).toBe(201);
    }
    await expectError(
      await client.send("POST", "/api/v1/auth/register", registration("sunshine123")),
      422,
      "VALIDATION_ERROR",
    );
    expect(calls.count).toBe(3);
  });

  it("fails closed on password reset, change and admin create too: 503, the password and the token unchanged", async () => {
    const { fetcher } = fakeAssets(async () => new Response("Not Found", { status: 404 }));
    const client = clientAt(systemClock, { ASSETS: fetcher });
    const user = await registered();

    const change = await client.send(
      "POST",
      "/api/v1/auth/change-password",
      { current_password: PASSWORD, new_password: NEW_PASSWORD },
      user.access,
    );
    await expectError(change, 503, UNAVAILABLE);

    expect((await send("POST", "/api/v1/auth/password-reset", { email: user.email })).status).toBe(202);
    const token = await tokenFromEmail(user.email, "password_reset");
    const reset = await client.send("POST", "/api/v1/auth/password-reset/confirm", {
      token,
      new_password: NEW_PASSWORD,
    });
    await expectError(reset, 503, UNAVAILABLE);
    expect((await login(user.email, PASSWORD)).status).toBe(200);
    // The token was not used up: with the list back, it sets the password.
    expect(
      (await send("POST", "/api/v1/auth/password-reset/confirm", { token, new_password: NEW_PASSWORD })).status,
    ).toBe(200);

    const { token: adminToken } = await fixtureAdmin();
    const input = registration();
    await expectError(await client.send("POST", "/api/v1/users", input, adminToken), 503, UNAVAILABLE);
    expect(await userRows(input.username)).toBe(0);
    // A user created without a password needs no list.
    const passwordless = { ...input, password: undefined };
    expect((await client.send("POST", "/api/v1/users", passwordless, adminToken)).status).toBe(201);
  });
});
