import { describe, expect, it } from "vitest";
import { base32Decode, base32Encode, hotp, matchTotp, totpStep } from "../src/lib/totp";
import { body, clientAt, env, expectError, manualClock, unique } from "./helpers";
import { emailsTo, formPost, tokenFromEmail } from "./links";

const PASSWORD = "correct horse battery staple";
const ascii = (s: string) => new TextEncoder().encode(s);

describe("TOTP (RFC 6238 / RFC 4226)", () => {
  it("computes the RFC 4226 HOTP test values", async () => {
    const secret = ascii("12345678901234567890");
    const expected = [
      "755224",
      "287082",
      "359152",
      "969429",
      "338314",
      "254676",
      "287922",
      "162583",
      "399871",
      "520489",
    ];
    for (const [counter, code] of expected.entries()) expect(await hotp(secret, counter)).toBe(code);
  });

  it("computes the RFC 6238 test vectors (8 digits, SHA-1, SHA-256, SHA-512)", async () => {
    const sha1 = ascii("12345678901234567890");
    const sha256 = ascii("12345678901234567890123456789012");
    const sha512 = ascii("1234567890123456789012345678901234567890123456789012345678901234");
    const vectors: [number, string, string, string][] = [
      [59, "94287082", "46119246", "90693936"],
      [1111111109, "07081804", "68084774", "25091201"],
      [1111111111, "14050471", "67062674", "99943326"],
      [1234567890, "89005924", "91819424", "93441116"],
      [2000000000, "69279037", "90698825", "38618901"],
      [20000000000, "65353130", "77737706", "47863826"],
    ];
    for (const [seconds, c1, c256, c512] of vectors) {
      const step = totpStep(seconds * 1000);
      expect(await hotp(sha1, step, 8)).toBe(c1);
      expect(await hotp(sha256, step, 8, "SHA-256")).toBe(c256);
      expect(await hotp(sha512, step, 8, "SHA-512")).toBe(c512);
    }
  });

  it("accepts one step of skew either side, never an older or already used step", async () => {
    const secret = ascii("12345678901234567890");
    const now = 1_700_000_000_000;
    const step = totpStep(now);
    const code = (s: number) => hotp(secret, s);
    expect(await matchTotp(secret, await code(step), now, 0)).toBe(step);
    expect(await matchTotp(secret, await code(step - 1), now, 0)).toBe(step - 1);
    expect(await matchTotp(secret, await code(step + 1), now, 0)).toBe(step + 1);
    expect(await matchTotp(secret, await code(step - 2), now, 0)).toBeNull();
    expect(await matchTotp(secret, await code(step + 2), now, 0)).toBeNull();
    // Once step was used, it and every earlier step are refused.
    expect(await matchTotp(secret, await code(step), now, step)).toBeNull();
    expect(await matchTotp(secret, await code(step - 1), now, step)).toBeNull();
    expect(await matchTotp(secret, "12345", now, 0)).toBeNull();
  });

  it("round-trips base32 as authenticator apps write it", () => {
    const bytes = crypto.getRandomValues(new Uint8Array(20));
    const text = base32Encode(bytes);
    expect(text).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(text.toLowerCase().replace(/(.{4})/g, "$1 "))).toEqual(bytes);
    expect(base32Encode(ascii("foobar"))).toBe("MZXW6YTBOI"); // RFC 4648 §10
  });
});

/** A registered account, its client on a manual clock, and helpers to sign in and make codes. */
async function account() {
  const clock = manualClock(Date.UTC(2026, 10, 25, 12, 0, 10));
  const client = clientAt(clock);
  const username = unique("mfa");
  const email = `${username}@example.test`;
  const reg = await body(await client.send("POST", "/api/v1/auth/register", { username, email, password: PASSWORD }));
  const login = () => client.send("POST", "/api/v1/auth/login", { username, password: PASSWORD });
  return { clock, client, username, email, userId: reg.user.id as number, token: reg.access_token as string, login };
}

type Account = Awaited<ReturnType<typeof account>>;

/** Sets up and enables TOTP: the secret's bytes and the recovery codes. */
async function withTotp(a: Account) {
  const setup = await body(await a.client.send("POST", "/api/v1/auth/mfa/totp/setup", undefined, a.token));
  const secret = base32Decode(setup.secret);
  const codeAt = (offsetSteps = 0) => hotp(secret, totpStep(a.clock.now()) + offsetSteps);
  const res = await a.client.send("POST", "/api/v1/auth/mfa/totp/enable", { code: await codeAt() }, a.token);
  expect(res.status).toBe(200);
  const { recovery_codes } = await body(res);
  // The enabling code's step is used: the tests' codes come from two steps later, so the step
  // before theirs is unused too.
  a.clock.advance(60);
  return { setup, secret, codeAt, recoveryCodes: recovery_codes as string[] };
}

async function challenge(a: Account): Promise<string> {
  const res = await a.login();
  expect(res.status).toBe(200);
  expect(res.headers.get("set-cookie")).toBeNull();
  const json = await body(res);
  expect(json).toEqual({
    mfa_required: true,
    mfa_token: expect.any(String),
    expires_in: 300,
    message: expect.any(String),
  });
  return json.mfa_token;
}

const verify = (a: Account, mfa_token: string, code: string) =>
  a.client.send("POST", "/api/v1/auth/mfa/verify", { mfa_token, code });

describe("TOTP setup and enable", () => {
  it("returns the secret, an otpauth URI and a QR code, and stores the secret encrypted", async () => {
    const a = await account();
    const res = await a.client.send("POST", "/api/v1/auth/mfa/totp/setup", undefined, a.token);
    expect(res.status).toBe(200);
    const json = await body(res);
    expect(json.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(json.otpauth_uri);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.searchParams.get("secret")).toBe(json.secret);
    expect(uri.searchParams.get("issuer")).toBe("Identity Training API");
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({ algorithm: "SHA1", digits: "6", period: "30" });
    expect(decodeURIComponent(uri.pathname)).toContain(a.username);
    expect(json.qr_svg).toMatch(/^<svg[\s\S]*<\/svg>$/);
    const row = await env.DB.prepare("SELECT secret, enabled_at FROM user_totp WHERE user_id = ?1")
      .bind(a.userId)
      .first<{ secret: string; enabled_at: string | null }>();
    expect(row?.enabled_at).toBeNull();
    expect(row?.secret).toMatch(/^v1\./);
    expect(row?.secret).not.toContain(json.secret);
    // Not on yet: password sign-in still answers tokens.
    expect(await body(await a.login())).toHaveProperty("access_token");
  });

  it("turns on only with a right code, and hands out 10 recovery codes stored as hashes", async () => {
    const a = await account();
    const setup = await body(await a.client.send("POST", "/api/v1/auth/mfa/totp/setup", undefined, a.token));
    const secret = base32Decode(setup.secret);
    const code = await hotp(secret, totpStep(a.clock.now()));
    const wrong = await a.client.send(
      "POST",
      "/api/v1/auth/mfa/totp/enable",
      { code: code === "000000" ? "000001" : "000000" },
      a.token,
    );
    await expectError(wrong, 400, "MFA_CODE_INVALID");
    const res = await a.client.send("POST", "/api/v1/auth/mfa/totp/enable", { code }, a.token);
    expect(res.status).toBe(200);
    const { recovery_codes } = await body(res);
    expect(recovery_codes).toHaveLength(10);
    expect(new Set(recovery_codes).size).toBe(10);
    for (const c of recovery_codes) expect(c).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
    const { results } = await env.DB.prepare("SELECT code_hash FROM mfa_recovery_codes WHERE user_id = ?1")
      .bind(a.userId)
      .all<{ code_hash: string }>();
    expect(results).toHaveLength(10);
    const stored = JSON.stringify(results);
    for (const c of recovery_codes) {
      expect(stored).not.toContain(c);
      expect(stored).not.toContain(c.replace("-", ""));
    }
    await expectError(
      await a.client.send("POST", "/api/v1/auth/mfa/totp/enable", { code }, a.token),
      409,
      "MFA_ALREADY_ENABLED",
    );
    await expectError(
      await a.client.send("POST", "/api/v1/auth/mfa/totp/setup", undefined, a.token),
      409,
      "MFA_ALREADY_ENABLED",
    );
  });

  it("does not turn on a secret that a new setup replaced while the code of the old one was checked", async () => {
    const a = await account();
    const setup = await body(await a.client.send("POST", "/api/v1/auth/mfa/totp/setup", undefined, a.token));
    const code = await hotp(base32Decode(setup.secret), totpStep(a.clock.now()));
    // A concurrent setup commits between enable's read of the secret and its write.
    let batches = 0;
    const racing = new Proxy(env.DB, {
      get(target, prop, receiver) {
        if (prop === "batch") {
          return async (statements: D1PreparedStatement[]) => {
            batches += 1;
            if (batches === 2) {
              await target
                .prepare("UPDATE user_totp SET secret = 'replaced by another setup' WHERE user_id = ?1")
                .bind(a.userId)
                .run();
            }
            return target.batch(statements);
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const res = await clientAt(a.clock, { DB: racing }).send("POST", "/api/v1/auth/mfa/totp/enable", { code }, a.token);
    await expectError(res, 400, "MFA_CODE_INVALID");
    const row = await env.DB.prepare("SELECT enabled_at FROM user_totp WHERE user_id = ?1").bind(a.userId).first();
    expect(row).toEqual({ enabled_at: null });
  });

  it("counts no attempt for enable or disable refused by the factor's state: the sign-in code step stays open", async () => {
    const a = await account();
    for (let i = 0; i < 6; i += 1) {
      await expectError(
        await a.client.send("POST", "/api/v1/auth/mfa/totp/disable", { code: "123456" }, a.token),
        409,
        "MFA_NOT_ENABLED",
      );
    }
    const { codeAt } = await withTotp(a);
    for (let i = 0; i < 6; i += 1) {
      await expectError(
        await a.client.send("POST", "/api/v1/auth/mfa/totp/enable", { code: "123456" }, a.token),
        409,
        "MFA_ALREADY_ENABLED",
      );
    }
    const attempts = await env.DB.prepare(
      "SELECT coalesce(max(failures), 0) AS n FROM login_attempts WHERE kind = 'mfa' AND subject = ?1",
    )
      .bind(`user:${a.userId}`)
      .first<{ n: number }>();
    expect(attempts?.n).toBe(0);
    expect((await verify(a, await challenge(a), await codeAt())).status).toBe(200);
  });

  it("refuses enable before setup, and setup without an encryption key", async () => {
    const a = await account();
    await expectError(
      await a.client.send("POST", "/api/v1/auth/mfa/totp/enable", { code: "123456" }, a.token),
      409,
      "MFA_NOT_SET_UP",
    );
    const noKey = clientAt(a.clock, { MFA_ENCRYPTION_KEY: "" } as Partial<Env>);
    await expectError(
      await noKey.send("POST", "/api/v1/auth/mfa/totp/setup", undefined, a.token),
      503,
      "MFA_UNAVAILABLE",
    );
  });

  it("requires a signed-in caller", async () => {
    const a = await account();
    await expectError(await a.client.send("POST", "/api/v1/auth/mfa/totp/setup"), 401, "UNAUTHORIZED");
  });
});

describe("sign-in with TOTP on", () => {
  it("answers mfa_required to a password login, and the code completes it with tokens and cookies", async () => {
    const a = await account();
    const { codeAt } = await withTotp(a);
    const mfaToken = await challenge(a);
    const res = await verify(a, mfaToken, await codeAt());
    expect(res.status).toBe(200);
    const json = await body(res);
    expect(json).toMatchObject({ token_type: "bearer", user: { id: a.userId } });
    // The sign-in is complete with the code: last_login is the time of this step.
    expect(json.user.last_login).toBe(new Date(a.clock.now()).toISOString());
    expect(res.headers.get("set-cookie")).toContain("access_token=");
    const me = await a.client.send("GET", "/api/v1/auth/me", undefined, json.access_token);
    expect(me.status).toBe(200);
  });

  it("refuses a code used once (same step), also in a new sign-in, and takes the next step's", async () => {
    const a = await account();
    const { codeAt } = await withTotp(a);
    const code = await codeAt();
    expect((await verify(a, await challenge(a), code)).status).toBe(200);
    await expectError(await verify(a, await challenge(a), code), 401, "MFA_CODE_INVALID");
    a.clock.advance(30);
    expect((await verify(a, await challenge(a), await codeAt())).status).toBe(200);
  });

  it("of two concurrent verifications with the same code, exactly one signs in", async () => {
    const a = await account();
    const { codeAt } = await withTotp(a);
    const [t1, t2] = [await challenge(a), await challenge(a)];
    const code = await codeAt();
    const statuses = (await Promise.all([verify(a, t1, code), verify(a, t2, code)])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401]);
  });

  it("accepts one step of clock skew either way, not two", async () => {
    const a = await account();
    const { codeAt } = await withTotp(a);
    await expectError(await verify(a, await challenge(a), await codeAt(2)), 401, "MFA_CODE_INVALID");
    expect((await verify(a, await challenge(a), await codeAt(-1))).status).toBe(200);
    expect((await verify(a, await challenge(a), await codeAt(1))).status).toBe(200);
  });

  it("takes each recovery code once", async () => {
    const a = await account();
    const { recoveryCodes } = await withTotp(a);
    const [first = "", second = ""] = recoveryCodes;
    expect((await verify(a, await challenge(a), first.toUpperCase().replace("-", " "))).status).toBe(200);
    await expectError(await verify(a, await challenge(a), first), 401, "MFA_CODE_INVALID");
    expect((await verify(a, await challenge(a), second)).status).toBe(200);
    const used = await env.DB.prepare(
      "SELECT count(*) AS n FROM mfa_recovery_codes WHERE user_id = ?1 AND used_at IS NOT NULL",
    )
      .bind(a.userId)
      .first<{ n: number }>();
    expect(used?.n).toBe(2);
  });

  it("makes the mfa_token single use and 5 minutes long", async () => {
    const a = await account();
    const { codeAt } = await withTotp(a);
    const token = await challenge(a);
    expect((await verify(a, token, await codeAt())).status).toBe(200);
    a.clock.advance(30);
    await expectError(await verify(a, token, await codeAt()), 401, "LINK_TOKEN_USED");

    const late = await challenge(a);
    a.clock.advance(301);
    await expectError(await verify(a, late, await codeAt()), 401, "LINK_TOKEN_EXPIRED");
    // An mfa_token is no magic link, and a magic link no mfa_token.
    await expectError(
      await a.client.send("POST", "/api/v1/auth/magic-link/verify", { token: await challenge(a) }),
      400,
      "LINK_TOKEN_WRONG_KIND",
    );
  });

  it("throttles wrong codes like passwords", async () => {
    const a = await account();
    const { codeAt } = await withTotp(a);
    const token = await challenge(a);
    const right = await codeAt();
    const wrong = right === "111111" ? "222222" : "111111";
    for (let i = 0; i < 5; i++) await expectError(await verify(a, token, wrong), 401, "MFA_CODE_INVALID");
    const locked = await verify(a, token, right);
    await expectError(locked.clone(), 429, "MFA_LOCKED");
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("puts a magic-link sign-in behind the code too, in JSON and through the pages", async () => {
    const a = await account();
    const { codeAt } = await withTotp(a);
    const requestLink = async () => {
      await a.client.send("POST", "/api/v1/auth/magic-link", { email: a.email, next: "/trainings" });
      return tokenFromEmail(a.email, "magic_link");
    };
    const json = await body(
      await a.client.send("POST", "/api/v1/auth/magic-link/verify", { token: await requestLink() }),
    );
    expect(json).toMatchObject({ mfa_required: true });
    expect(json).not.toHaveProperty("access_token");

    const page = await a.client.call("/api/v1/auth/magic-link/verify", formPost({ token: await requestLink() }));
    expect(page.status).toBe(200);
    expect(page.headers.get("set-cookie")).toBeNull();
    const html = await page.text();
    expect(html).toContain('action="/api/v1/auth/mfa/verify"');
    const mfaToken = /name="mfa_token" value="([^"]+)"/.exec(html)?.[1] ?? "";
    // A mistyped code shows the page again, with the same token and the error, signing nothing in.
    const typo = await a.client.call("/api/v1/auth/mfa/verify", formPost({ mfa_token: mfaToken, code: "000000" }));
    expect(typo.status).toBe(401);
    expect(typo.headers.get("content-type")).toContain("text/html");
    expect(typo.headers.get("set-cookie")).toBeNull();
    const again = await typo.text();
    expect(again).toContain('role="alert"');
    expect(again).toContain(`name="mfa_token" value="${mfaToken}"`);
    const done = await a.client.call(
      "/api/v1/auth/mfa/verify",
      formPost({ mfa_token: mfaToken, code: await codeAt() }),
    );
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/trainings");
    expect(done.headers.get("set-cookie")).toContain("access_token=");
    // A form from another site can't complete it.
    const other = await challenge(a);
    a.clock.advance(30);
    await expectError(
      await a.client.call(
        "/api/v1/auth/mfa/verify",
        formPost({ mfa_token: other, code: await codeAt() }, { Origin: "https://evil.example" }),
      ),
      403,
      "CSRF_ORIGIN_REJECTED",
    );
    expect(await emailsTo(a.email)).not.toHaveLength(0);
  });
});

describe("TOTP disable", () => {
  it("needs a code or the password, then sign-in answers tokens again", async () => {
    const a = await account();
    const { codeAt } = await withTotp(a);
    await expectError(
      await a.client.send("POST", "/api/v1/auth/mfa/totp/disable", { password: "not the password" }, a.token),
      400,
      "MFA_CODE_INVALID",
    );
    await expectError(
      await a.client.send("POST", "/api/v1/auth/mfa/totp/disable", {}, a.token),
      422,
      "VALIDATION_ERROR",
    );
    const res = await a.client.send("POST", "/api/v1/auth/mfa/totp/disable", { code: await codeAt() }, a.token);
    expect(res.status).toBe(200);
    expect(await body(await a.login())).toHaveProperty("access_token");
    const rows = await env.DB.prepare(
      "SELECT (SELECT count(*) FROM user_totp WHERE user_id = ?1) + (SELECT count(*) FROM mfa_recovery_codes WHERE user_id = ?1) AS n",
    )
      .bind(a.userId)
      .first<{ n: number }>();
    expect(rows?.n).toBe(0);
    await expectError(
      await a.client.send("POST", "/api/v1/auth/mfa/totp/disable", { password: PASSWORD }, a.token),
      409,
      "MFA_NOT_ENABLED",
    );
  });

  it("takes the password", async () => {
    const a = await account();
    await withTotp(a);
    expect((await a.client.send("POST", "/api/v1/auth/mfa/totp/disable", { password: PASSWORD }, a.token)).status).toBe(
      200,
    );
  });
});

describe("the audit trail of the second factor", () => {
  it("records each step, and never a secret, a code or a token", async () => {
    const a = await account();
    const { setup, codeAt, recoveryCodes } = await withTotp(a);
    const token = await challenge(a);
    const code = await codeAt();
    await verify(a, token, code === "000001" ? "000002" : "000001");
    await verify(a, token, code);
    const { results } = await env.DB.prepare("SELECT event, detail FROM auth_events WHERE user_id = ?1 ORDER BY id")
      .bind(a.userId)
      .all<{ event: string; detail: string | null }>();
    const events = results.map((r) => r.event);
    for (const e of ["mfa_setup_started", "mfa_enabled", "login_mfa_required", "mfa_failed", "mfa_login"]) {
      expect(events).toContain(e);
    }
    const stored = JSON.stringify(results);
    for (const secret of [setup.secret, token, code, ...recoveryCodes]) expect(stored).not.toContain(secret);
  });
});
