import { describe, expect, it } from "vitest";
import { systemClock } from "../src/lib/clock";
import { body, clientAt, env, expectError, manualClock, send, unique } from "./helpers";

const PASSWORD = "correct horse battery staple";
const LOGIN = "/api/v1/auth/login";

/** Registers an account with `PASSWORD`; returns its names, id and access token. */
async function account() {
  const username = unique("thr");
  const email = `${username}@example.test`;
  const json = await body(await send("POST", "/api/v1/auth/register", { username, email, password: PASSWORD }));
  return { username, email, id: json.user.id as number, accessToken: json.access_token as string };
}

const from = (ip: string) => ({ "CF-Connecting-IP": ip });

/** A distinct documentation-range IPv4 address per call. */
let ipCounter = 0;
function newIp(): string {
  ipCounter += 1;
  return `198.18.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
}

/** The throttle rows of one subject, by source. */
async function attemptRows(kind: string, subject: string) {
  const { results } = await env.DB.prepare(
    "SELECT source, failures FROM login_attempts WHERE kind = ?1 AND subject = ?2 ORDER BY source",
  )
    .bind(kind, subject)
    .all<{ source: string; failures: number }>();
  return Object.fromEntries(results.map((r) => [r.source, r.failures]));
}

/** A KV binding that counts writes (put and delete) and otherwise is the test KV. */
function countingKv() {
  const writes = { n: 0 };
  const kv = new Proxy(env.RATE_LIMIT_KV, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === "put" || prop === "delete") writes.n += 1;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { kv, writes };
}

/**
 * A D1 binding that runs `hook` once, just before the first SELECT that reads a password hash: a
 * concurrent request's writes landing between the caller's authentication and its password check.
 */
function dbWithHookBeforePasswordRead(hook: () => Promise<void>): D1Database {
  let pending: (() => Promise<void>) | null = hook;
  const passwordReads = new WeakSet<object>();
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop === "bind") return (...args: unknown[]) => wrap(value.apply(target, args));
        if (!["first", "all", "run", "raw"].includes(String(prop))) return value.bind(target);
        return async (...args: unknown[]) => {
          const run = pending;
          pending = null;
          if (run) await run();
          return value.apply(target, args);
        };
      },
    });
    passwordReads.add(proxy);
    return proxy;
  };
  return new Proxy(env.DB, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      // The password read may ride in a batch (with the token check of the request's first round trip).
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          const run = statements.some((s) => passwordReads.has(s)) ? pending : null;
          if (run) {
            pending = null;
            await run();
          }
          return target.batch(statements);
        };
      }
      if (prop === "prepare") {
        return (query: string) => {
          const stmt = target.prepare(query);
          return /^select/i.test(query.trim()) && query.includes('"password_hash"') ? wrap(stmt) : stmt;
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A D1 binding on which every batch that writes `login_attempts` fails, as an overloaded database would. */
function dbFailingAttemptWrites(): D1Database {
  const attemptStatements = new WeakSet<object>();
  const track = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop === "bind") {
          return (...args: unknown[]) => {
            const bound = track(value.apply(target, args));
            attemptStatements.add(bound);
            return bound;
          };
        }
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return new Proxy(env.DB, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === "prepare") {
        return (query: string) =>
          /INSERT INTO login_attempts/.test(query) ? track(target.prepare(query)) : target.prepare(query);
      }
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) =>
          statements.some((s) => attemptStatements.has(s))
            ? Promise.reject(new Error("D1_ERROR: simulated overload"))
            : target.batch(statements);
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("attack: parallel password guesses against one account", () => {
  it("counts 30 wrong passwords sent at once, so the right one is then refused, and writes nothing to KV", async () => {
    const victim = await account();
    const { kv, writes } = countingKv();
    const client = clientAt(systemClock, { RATE_LIMIT_KV: kv });
    const ip = newIp();
    const guesses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        client.send("POST", LOGIN, { username: victim.username, password: `wrong guess ${i}` }, undefined, from(ip)),
      ),
    );
    const statuses = guesses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(25);
    const right = await client.send(
      "POST",
      LOGIN,
      { username: victim.username, password: PASSWORD },
      undefined,
      from(ip),
    );
    await expectError(right, 429, "ACCOUNT_LOCKED");
    expect(Number(right.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await attemptRows("login", `user:${victim.id}`)).toEqual({ "*": 5, [ip]: 5 });
    expect(writes.n).toBe(0);
  });

  it("counts the username and the email of one account in one bucket", async () => {
    const victim = await account();
    const ip = newIp();
    for (let i = 0; i < 3; i++) {
      await expectError(
        await send("POST", LOGIN, { username: victim.username, password: `bad ${i}!` }, undefined, from(ip)),
        401,
        "INVALID_CREDENTIALS",
      );
    }
    for (let i = 0; i < 2; i++) {
      await expectError(
        await send("POST", LOGIN, { email: victim.email.toUpperCase(), password: `bad ${i}!` }, undefined, from(ip)),
        401,
        "INVALID_CREDENTIALS",
      );
    }
    await expectError(
      await send("POST", LOGIN, { username: victim.username, password: PASSWORD }, undefined, from(ip)),
      429,
      "ACCOUNT_LOCKED",
    );
  });

  it("refuses the login (fails closed) when the attempt cannot be recorded, even with the right password", async () => {
    const victim = await account();
    const client = clientAt(systemClock, { DB: dbFailingAttemptWrites() });
    const res = await client.send("POST", LOGIN, { username: victim.username, password: PASSWORD });
    await expectError(res, 500, "INTERNAL_ERROR");
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it("a correct password clears its network's streak and gives its reserved attempt back", async () => {
    const victim = await account();
    const ip = newIp();
    for (let i = 0; i < 4; i++)
      await send("POST", LOGIN, { username: victim.username, password: `bad ${i}!` }, undefined, from(ip));
    expect(
      (await send("POST", LOGIN, { username: victim.username, password: PASSWORD }, undefined, from(ip))).status,
    ).toBe(200);
    expect(await attemptRows("login", `user:${victim.id}`)).toEqual({ "*": 4 });
  });
});

describe("attack: locking the owner out", () => {
  it("a stranger who locks one network out does not keep the owner out from another", async () => {
    const victim = await account();
    const stranger = newIp();
    for (let i = 0; i < 7; i++) {
      await send("POST", LOGIN, { username: victim.username, password: `stranger ${i}!` }, undefined, from(stranger));
    }
    await expectError(
      await send("POST", LOGIN, { username: victim.username, password: PASSWORD }, undefined, from(stranger)),
      429,
      "ACCOUNT_LOCKED",
    );
    const owner = await send(
      "POST",
      LOGIN,
      { username: victim.username, password: PASSWORD },
      undefined,
      from(newIp()),
    );
    expect(owner.status).toBe(200);
  });

  it("counts an IPv6 /64 as one network", async () => {
    const victim = await account();
    for (let i = 0; i < 5; i++) {
      await send(
        "POST",
        LOGIN,
        { username: victim.username, password: `v6 ${i}!!` },
        undefined,
        from(`2001:db8:1:2::${i + 1}`),
      );
    }
    const res = await send(
      "POST",
      LOGIN,
      { username: victim.username, password: `v6 x!!` },
      undefined,
      from("2001:0db8:0001:0002:ffff::9"),
    );
    await expectError(res, 429, "ACCOUNT_LOCKED");
  });

  it("guesses spread over many networks stop at the account ceiling: password sign-in is suspended", async () => {
    const victim = await account();
    const guesses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        send("POST", LOGIN, { username: victim.username, password: `spread ${i}!` }, undefined, from(newIp())),
      ),
    );
    expect(guesses.filter((r) => r.status === 401)).toHaveLength(10);
    const owner = await send(
      "POST",
      LOGIN,
      { username: victim.username, password: PASSWORD },
      undefined,
      from(newIp()),
    );
    const json = await expectError(owner, 429, "PASSWORD_SIGNIN_SUSPENDED");
    expect(json.detail).toContain("emailed link");
    const wait = Number(owner.headers.get("retry-after"));
    expect(wait).toBeGreaterThan(3000);
    expect(wait).toBeLessThanOrEqual(3600);
  });
});

describe("attack: guessing at the pace of the locks (time moved by the app's clock)", () => {
  it("doubles the per-network lock from one minute, and lifts the account ceiling after an hour", async () => {
    const clock = manualClock();
    const client = clientAt(clock);
    const victim = await account();
    const ip = newIp();
    const guess = () =>
      client.send("POST", LOGIN, { username: victim.username, password: "still wrong!" }, undefined, from(ip));
    for (let i = 0; i < 5; i++) expect((await guess()).status).toBe(401);
    expect((await guess()).headers.get("retry-after")).toBe("60");
    clock.advance(61);
    expect((await guess()).status).toBe(401);
    expect((await guess()).headers.get("retry-after")).toBe("120");
    clock.advance(121);
    expect((await guess()).status).toBe(401);
    expect((await guess()).headers.get("retry-after")).toBe("240");
    // Three more networks bring the account to its ceiling of ten failures within the hour.
    for (let i = 0; i < 3; i++) {
      const other = newIp();
      expect(
        (
          await client.send(
            "POST",
            LOGIN,
            { username: victim.username, password: "elsewhere!" },
            undefined,
            from(other),
          )
        ).status,
      ).toBe(401);
    }
    const owner = () =>
      client.send("POST", LOGIN, { username: victim.username, password: PASSWORD }, undefined, from("192.0.2.250"));
    await expectError(await owner(), 429, "PASSWORD_SIGNIN_SUSPENDED");
    clock.advance(3601);
    expect((await owner()).status).toBe(200);
  });
});

describe("attack: guessing names nobody has", () => {
  it("costs the same answers as a real account, counted in a bounded bucket that never holds the name", async () => {
    const typed = `ghost-${unique()}`;
    const ip = newIp();
    for (let i = 0; i < 5; i++) {
      await expectError(
        await send("POST", LOGIN, { username: typed, password: `nope ${i}!!` }, undefined, from(ip)),
        401,
        "INVALID_CREDENTIALS",
      );
    }
    await expectError(
      await send("POST", LOGIN, { username: typed, password: "nope 6!!" }, undefined, from(ip)),
      429,
      "ACCOUNT_LOCKED",
    );
    const { results } = await env.DB.prepare("SELECT subject FROM login_attempts WHERE kind = 'login' AND source = ?1")
      .bind(ip)
      .all<{ subject: string }>();
    expect(results).toHaveLength(1);
    const bucket = /^unknown:(\d+)$/.exec(results[0]?.subject ?? "");
    expect(Number(bucket?.[1])).toBeLessThan(1024);
    const anywhere = await env.DB.prepare("SELECT count(*) AS n FROM login_attempts WHERE subject LIKE ?1")
      .bind(`%${typed}%`)
      .first<{ n: number }>();
    expect(anywhere?.n).toBe(0);
  });

  it("audits a failed login for an unknown name with a keyed hash, never the typed text", async () => {
    // People type their password into the name field.
    const typed = `My Secret Passw0rd ${unique()}`;
    const ip = newIp();
    await expectError(
      await send("POST", LOGIN, { username: typed, password: "whatever it is" }, undefined, from(ip)),
      401,
      "INVALID_CREDENTIALS",
    );
    const rows = await env.DB.prepare(
      "SELECT user_id, detail FROM auth_events WHERE event = 'login_failed' AND ip = ?1",
    )
      .bind(ip)
      .all<{ user_id: number | null; detail: string }>();
    expect(rows.results).toHaveLength(1);
    const row = rows.results[0];
    expect(row?.user_id).toBeNull();
    expect(row?.detail).toMatch(/^login unknown name hmac-sha256:[0-9a-f]{64}$/);
    expect(row?.detail.toLowerCase()).not.toContain("secret");
    const anywhere = await env.DB.prepare("SELECT count(*) AS n FROM auth_events WHERE lower(detail) LIKE ?1")
      .bind(`%${typed.toLowerCase()}%`)
      .first<{ n: number }>();
    expect(anywhere?.n).toBe(0);
  });
});

describe("attack: change-password as an oracle for the current password", () => {
  const change = (token: string, current: string, ip: string, next = "a brand new passphrase") =>
    send("POST", "/api/v1/auth/change-password", { current_password: current, new_password: next }, token, from(ip));

  it("throttles wrong current passwords (429), in a bucket of its own that leaves login alone", async () => {
    const victim = await account();
    const ip = newIp();
    for (let i = 0; i < 5; i++)
      await expectError(await change(victim.accessToken, `guess ${i}!!`, ip), 400, "INVALID_CURRENT_PASSWORD");
    const locked = await change(victim.accessToken, "guess 6!!", ip);
    await expectError(locked, 429, "PASSWORD_CHECK_LOCKED");
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    await expectError(await change(victim.accessToken, PASSWORD, ip), 429, "PASSWORD_CHECK_LOCKED");
    expect(
      (await send("POST", LOGIN, { username: victim.username, password: PASSWORD }, undefined, from(ip))).status,
    ).toBe(200);
  });

  it("checks and writes the caller's own row by id, whatever renames land in between", async () => {
    const victim = await account();
    const other = await account();
    const changed = await send(
      "POST",
      "/api/v1/auth/change-password",
      { current_password: PASSWORD, new_password: "the other one's secret" },
      other.accessToken,
    );
    expect(changed.status).toBe(200);
    // Between the caller's authentication and its password check, the caller is renamed and
    // another account takes the caller's old name.
    let renamed = false;
    const db = dbWithHookBeforePasswordRead(async () => {
      renamed = true;
      await env.DB.batch([
        env.DB.prepare("UPDATE users SET username = ?1 WHERE id = ?2").bind(`${victim.username}-old`, victim.id),
        env.DB.prepare("UPDATE users SET username = ?1 WHERE id = ?2").bind(victim.username, other.id),
      ]);
    });
    const client = clientAt(systemClock, { DB: db });
    const res = await client.send(
      "POST",
      "/api/v1/auth/change-password",
      { current_password: "the other one's secret", new_password: "attacker chosen passphrase" },
      victim.accessToken,
    );
    expect(renamed).toBe(true);
    // The rename makes the caller's token stale (it carries the old username): it is refused in the
    // request's first round trip, before any password is read or written.
    await expectError(res, 401, "INVALID_TOKEN");
    const login = await send("POST", LOGIN, { username: `${victim.username}-old`, password: PASSWORD });
    expect(login.status).toBe(200);
  });
});
