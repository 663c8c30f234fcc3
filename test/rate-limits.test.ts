import { afterEach, describe, expect, it, vi } from "vitest";
import { KV_MIN_TTL_SECONDS } from "../src/middleware/rate-limit";
import { signedIn } from "./factories";
import { clientAt, env, expectError, manualClock, send, unique } from "./helpers";

/** A client IP no other test uses. */
const freshIp = () => `203.0.113.${Math.floor(Math.random() * 250)}-${unique("ip")}`;

/** Rate limits on, with small limits so that tests reach them. */
const LIMITS_ON = {
  RATE_LIMITS_ENABLED: "true",
  RATE_LIMIT_DEFAULT_IP_PER_MINUTE: "3",
  RATE_LIMIT_USERS_PER_MINUTE: "1000",
  RATE_LIMIT_USER_CREATE_PER_MINUTE: "2",
  RATE_LIMIT_DEFAULT_USER_PER_HOUR: "1000",
};

/** The rate-limit KV wrapped to count writes and to refuse what production refuses: a TTL under 60 s. */
function countingKv(kv: KVNamespace, options: { failReads?: boolean } = {}) {
  const counts = { puts: 0, gets: 0 };
  const wrapped = new Proxy(kv, {
    get(target, prop) {
      if (prop === "get") {
        return (key: string) => {
          counts.gets += 1;
          if (options.failReads) return Promise.reject(new Error("KV unavailable"));
          return target.get(key);
        };
      }
      if (prop === "put") {
        return (key: string, value: string, opts?: KVNamespacePutOptions) => {
          counts.puts += 1;
          if ((opts?.expirationTtl ?? KV_MIN_TTL_SECONDS) < KV_MIN_TTL_SECONDS) {
            return Promise.reject(new Error(`expirationTtl ${opts?.expirationTtl} is below KV's minimum`));
          }
          return target.put(key, value, opts);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { kv: wrapped, counts };
}

const hello = (client: ReturnType<typeof clientAt>, ip: string, headers: Record<string, string> = {}) =>
  client.send("GET", "/api/v1/hello", undefined, undefined, { "CF-Connecting-IP": ip, ...headers });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("rate limits", () => {
  it("answers the request past the limit with 429 RATE_LIMITED, Retry-After and the limit headers", async () => {
    const clock = manualClock(Date.UTC(2026, 10, 25, 10, 0, 10));
    const client = clientAt(clock, LIMITS_ON);
    const ip = freshIp();
    for (let i = 0; i < 3; i++) expect((await hello(client, ip)).status).toBe(200);
    const refused = await hello(client, ip);
    const json = await expectError(refused, 429, "RATE_LIMITED");
    expect(json.detail).toBe("Rate limit exceeded; try again in 50 seconds");
    expect(Object.fromEntries(refused.headers)).toMatchObject({
      "retry-after": "50",
      "x-ratelimit-limit": "3",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": String(Date.UTC(2026, 10, 25, 10, 1, 0) / 1000),
      "ratelimit-policy": '"defaultIp";q=3;w=60',
      ratelimit: '"defaultIp";r=0;t=50',
    });
  });

  it("counts down X-RateLimit-Remaining on allowed responses", async () => {
    const client = clientAt(manualClock(), LIMITS_ON);
    const ip = freshIp();
    const remaining = [];
    for (let i = 0; i < 3; i++) remaining.push((await hello(client, ip)).headers.get("x-ratelimit-remaining"));
    expect(remaining).toEqual(["2", "1", "0"]);
  });

  it("leaves another IP unaffected", async () => {
    const client = clientAt(manualClock(), LIMITS_ON);
    const ip = freshIp();
    for (let i = 0; i < 4; i++) await hello(client, ip);
    expect((await hello(client, ip)).status).toBe(429);
    expect((await hello(client, freshIp())).status).toBe(200);
  });

  it("keys on CF-Connecting-IP and ignores a client-supplied X-Forwarded-For", async () => {
    const client = clientAt(manualClock(), LIMITS_ON);
    const ip = freshIp();
    for (let i = 0; i < 3; i++) await hello(client, ip, { "X-Forwarded-For": `198.51.100.${i}` });
    expect((await hello(client, ip, { "X-Forwarded-For": "198.51.100.77" })).status).toBe(429);
  });

  it("resets when the window ends", async () => {
    const clock = manualClock();
    const client = clientAt(clock, LIMITS_ON);
    const ip = freshIp();
    for (let i = 0; i < 3; i++) await hello(client, ip);
    expect((await hello(client, ip)).status).toBe(429);
    clock.advance(60);
    expect((await hello(client, ip)).status).toBe(200);
  });

  it("limits a signed-in user per hour, leaving another user unaffected", async () => {
    const client = clientAt(manualClock(), { ...LIMITS_ON, RATE_LIMIT_DEFAULT_USER_PER_HOUR: "2" });
    const [a, b] = [await signedIn("EMPLOYEE"), await signedIn("EMPLOYEE")];
    const me = (token: string) =>
      client.send("GET", "/api/v1/auth/me", undefined, token, { "CF-Connecting-IP": freshIp() });
    expect([(await me(a.token)).status, (await me(a.token)).status]).toEqual([200, 200]);
    const refused = await me(a.token);
    await expectError(refused, 429, "RATE_LIMITED");
    expect(refused.headers.get("ratelimit-policy")).toBe('"defaultUserHourly";q=2;w=3600');
    expect((await me(b.token)).status).toBe(200);
  });

  it("limits POST /users per caller", async () => {
    const client = clientAt(manualClock(), LIMITS_ON);
    const { token } = await signedIn("ADMIN");
    const create = () => {
      const username = unique("rl");
      return client.send("POST", "/api/v1/users", { username, email: `${username}@example.test` }, token, {
        "CF-Connecting-IP": freshIp(),
      });
    };
    expect([(await create()).status, (await create()).status]).toEqual([201, 201]);
    await expectError(await create(), 429, "RATE_LIMITED");
  });

  it("limits sign-in endpoints per IP with the auth group", async () => {
    const client = clientAt(manualClock(), { ...LIMITS_ON, RATE_LIMIT_AUTH_PER_MINUTE: "2" });
    const ip = freshIp();
    const login = () =>
      client.send(
        "POST",
        "/api/v1/auth/login",
        { username: unique("nobody"), password: "wrong-password-1" },
        undefined,
        {
          "CF-Connecting-IP": ip,
        },
      );
    expect([(await login()).status, (await login()).status]).toEqual([401, 401]);
    const refused = await login();
    await expectError(refused, 429, "RATE_LIMITED");
    expect(refused.headers.get("ratelimit-policy")).toBe('"auth";q=2;w=60');
  });

  it("writes a hot counter back to KV at most once a second, with the total of what was counted", async () => {
    // Ten seconds into a minute: the second it moves on stays in the same per-minute window.
    const clock = manualClock(Date.UTC(2026, 10, 25, 10, 0, 10));
    const { kv, counts } = countingKv(env.RATE_LIMIT_KV);
    const client = clientAt(clock, { ...LIMITS_ON, RATE_LIMIT_DEFAULT_IP_PER_MINUTE: "1000", RATE_LIMIT_KV: kv });
    const ip = freshIp();
    for (let i = 0; i < 20; i++) expect((await hello(client, ip)).status).toBe(200);
    expect(counts.puts).toBe(1);
    clock.advance(1);
    expect((await hello(client, ip)).status).toBe(200);
    expect(counts.puts).toBe(2);
    const stored = await env.RATE_LIMIT_KV.list({ prefix: `rl:defaultIp:${ip}:` });
    const [key] = stored.keys;
    expect(key && (await env.RATE_LIMIT_KV.get(key.name))).toBe("21");
  });

  it("reads KV once per window for a counter this isolate already holds", async () => {
    const { kv, counts } = countingKv(env.RATE_LIMIT_KV);
    const client = clientAt(manualClock(), {
      ...LIMITS_ON,
      RATE_LIMIT_DEFAULT_IP_PER_MINUTE: "1000",
      RATE_LIMIT_KV: kv,
    });
    const ip = freshIp();
    for (let i = 0; i < 10; i++) await hello(client, ip);
    // One read to load the counter and one before its single write-back.
    expect(counts.gets).toBe(2);
  });

  it("adds what another isolate stored to its own count", async () => {
    const clock = manualClock(Date.UTC(2026, 10, 25, 10, 0, 10));
    const ip = freshIp();
    const bindings = { ...LIMITS_ON, RATE_LIMIT_DEFAULT_IP_PER_MINUTE: "5" };
    const first = clientAt(clock, bindings);
    for (let i = 0; i < 3; i++) await hello(first, ip);
    clock.advance(1);
    await hello(first, ip); // writes back 4
    const second = clientAt(clock, bindings); // another isolate: reads 4
    expect((await hello(second, ip)).status).toBe(200);
    expect((await hello(second, ip)).status).toBe(429);
  });

  it("lets requests through when KV fails, and logs it", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { kv } = countingKv(env.RATE_LIMIT_KV, { failReads: true });
    const client = clientAt(manualClock(), { ...LIMITS_ON, RATE_LIMIT_KV: kv });
    const res = await hello(client, freshIp());
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ratelimit-limit")).toBeNull();
    expect(errors).toHaveBeenCalledWith(expect.stringContaining("rate limit read failed"));
  });

  it("adds no headers and counts nothing when RATE_LIMITS_ENABLED is false", async () => {
    const res = await send("GET", "/api/v1/hello");
    expect(res.headers.get("x-ratelimit-limit")).toBeNull();
  });

  it("exposes the limit headers to allowed cross-origin clients", async () => {
    const client = clientAt(manualClock(), LIMITS_ON);
    const res = await hello(client, freshIp(), { Origin: "https://app.example.test" });
    const exposed = (res.headers.get("access-control-expose-headers") ?? "").toLowerCase();
    for (const name of [
      "x-ratelimit-limit",
      "x-ratelimit-remaining",
      "x-ratelimit-reset",
      "ratelimit-policy",
      "ratelimit",
    ]) {
      expect(exposed.split(/,\s*/)).toContain(name);
    }
  });
});
