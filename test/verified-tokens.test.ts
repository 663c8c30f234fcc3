import { describe, expect, it } from "vitest";
import { configOf } from "../src/lib/config";
import { AppError } from "../src/lib/errors";
import { keyRing, signToken, VERIFIED_TOKENS_MAX, verifyToken } from "../src/lib/jwt";
import { createUser, tokenFor } from "./factories";
import { body, clientAt, env, expectError, manualClock, send, unique } from "./helpers";

/** The 401 code `verifyToken` refused with, or "accepted". */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "accepted";
  } catch (err) {
    if (err instanceof AppError) return `${err.status} ${err.code}`;
    throw err;
  }
}

const ring = () => keyRing(env.JWT_PRIVATE_KEY, env.JWT_PREVIOUS_PUBLIC_KEY, configOf(env).jwt);

describe("access tokens verified once per isolate", () => {
  it("answers a token seen again with the claims of its first verification, frozen", async () => {
    const user = await createUser();
    const token = await tokenFor(user.id);
    const keys = await ring();
    const now = Date.now();
    const first = await verifyToken(keys, token, "access", now);
    const again = await verifyToken(keys, token, "access", now);
    expect(again).toBe(first);
    expect(Object.isFrozen(again)).toBe(true);
    expect(again.sub).toBe(String(user.id));
  });

  it("still checks exp and nbf against the request's clock on a token seen before", async () => {
    const user = await createUser();
    const nowSeconds = Math.floor(Date.now() / 1000);
    const token = await tokenFor(user.id, { ttlSeconds: 600, now: nowSeconds });
    const keys = await ring();
    expect(await outcome(verifyToken(keys, token, "access", nowSeconds * 1000))).toBe("accepted");
    // Within the 5 s tolerance either side, then past it.
    expect(await outcome(verifyToken(keys, token, "access", (nowSeconds + 604) * 1000))).toBe("accepted");
    expect(await outcome(verifyToken(keys, token, "access", (nowSeconds + 605) * 1000))).toBe("401 TOKEN_EXPIRED");
    expect(await outcome(verifyToken(keys, token, "access", (nowSeconds - 5) * 1000))).toBe("accepted");
    expect(await outcome(verifyToken(keys, token, "access", (nowSeconds - 6) * 1000))).toBe("401 INVALID_TOKEN");
  });

  it("never takes a remembered access token as another type, nor remembers a refused one", async () => {
    const user = await createUser();
    const token = await tokenFor(user.id);
    const keys = await ring();
    const now = Date.now();
    await verifyToken(keys, token, "access", now);
    expect(await outcome(verifyToken(keys, token, "refresh", now))).toBe("401 INVALID_TOKEN");

    const [head, payload, sig] = token.split(".");
    const tampered = `${head}.${payload}x.${sig}`;
    expect(await outcome(verifyToken(keys, tampered, "access", now))).toBe("401 INVALID_TOKEN");
    expect(await outcome(verifyToken(keys, tampered, "access", now))).toBe("401 INVALID_TOKEN");

    const refresh = (await signToken(keys, "refresh", { sub: String(user.id), sid: "s" }, 900, now / 1000)).token;
    const r1 = await verifyToken(keys, refresh, "refresh", now);
    const r2 = await verifyToken(keys, refresh, "refresh", now);
    expect(r2).not.toBe(r1);
  });

  it(`remembers at most ${VERIFIED_TOKENS_MAX} tokens, the oldest making room`, async () => {
    const keys = await ring();
    const now = Math.floor(Date.now() / 1000);
    const sign = async (i: number) =>
      (await signToken(keys, "access", { sub: "1", sid: `s${i}`, jti: `j${i}` }, 900, now)).token;
    const oldest = await sign(-1);
    const kept = await verifyToken(keys, oldest, "access", now * 1000);
    for (let i = 0; i < VERIFIED_TOKENS_MAX; i++) await verifyToken(keys, await sign(i), "access", now * 1000);
    // Evicted: verified afresh (a new claims object), and remembered again.
    const afresh = await verifyToken(keys, oldest, "access", now * 1000);
    expect(afresh).not.toBe(kept);
    expect(afresh).toEqual(kept);
    expect(await verifyToken(keys, oldest, "access", now * 1000)).toBe(afresh);
  });

  it("refuses a remembered token once its session is closed (logout), through HTTP", async () => {
    const username = unique("vt");
    const reg = await body(
      await send("POST", "/api/v1/auth/register", {
        username,
        email: `${username}@example.test`,
        password: "correct horse battery staple",
      }),
    );
    expect((await send("GET", "/api/v1/auth/me", undefined, reg.access_token)).status).toBe(200);
    expect((await send("GET", "/api/v1/auth/me", undefined, reg.access_token)).status).toBe(200);
    expect((await send("POST", "/api/v1/auth/logout", undefined, reg.access_token)).status).toBe(200);
    await expectError(await send("GET", "/api/v1/auth/me", undefined, reg.access_token), 401, "INVALID_TOKEN");
  });

  it("refuses a remembered token once its lifetime has passed, through HTTP", async () => {
    const clock = manualClock();
    const client = clientAt(clock);
    const user = await createUser();
    const token = await tokenFor(user.id, { ttlSeconds: 60, now: Math.floor(clock.now() / 1000) });
    expect((await client.send("GET", "/api/v1/auth/me", undefined, token)).status).toBe(200);
    expect((await client.send("GET", "/api/v1/auth/me", undefined, token)).status).toBe(200);
    clock.advance(66);
    await expectError(await client.send("GET", "/api/v1/auth/me", undefined, token), 401, "TOKEN_EXPIRED");
  });
});
