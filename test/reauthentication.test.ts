import { describe, expect, it } from "vitest";
import { fixtureAdmin } from "./access-fixtures";
import { body, clientAt, expectError, manualClock, unique } from "./helpers";

const PASSWORD = "correct horse battery staple";

/** A new account registered through an app on `clock`, with its token pair. */
async function registeredAt(client: ReturnType<typeof clientAt>) {
  const username = unique("reauth");
  const pair = await body(
    await client.send("POST", "/api/v1/auth/register", {
      username,
      email: `${username}@example.test`,
      password: PASSWORD,
    }),
  );
  return { id: pair.user.id as number, username, pair };
}

describe("changing one's own email or username (attack: a stolen access token moves the account)", () => {
  it("is allowed within five minutes of signing in", async () => {
    const client = clientAt(manualClock());
    const { id, pair } = await registeredAt(client);
    const res = await client.send(
      "PATCH",
      `/api/v1/users/${id}`,
      { email: `${unique("new")}@example.test` },
      pair.access_token,
    );
    expect(res.status).toBe(200);
  });

  it("needs a fresh sign-in later: 403 REAUTHENTICATION_REQUIRED, and nothing changes", async () => {
    const clock = manualClock();
    const client = clientAt(clock);
    const { id, username, pair } = await registeredAt(client);
    clock.advance(6 * 60);
    await expectError(
      await client.send(
        "PATCH",
        `/api/v1/users/${id}`,
        { email: `${unique("thief")}@example.test` },
        pair.access_token,
      ),
      403,
      "REAUTHENTICATION_REQUIRED",
    );
    await expectError(
      await client.send("PATCH", `/api/v1/users/${id}`, { username: unique("thief") }, pair.access_token),
      403,
      "REAUTHENTICATION_REQUIRED",
    );
    const me = await body(await client.send("GET", "/api/v1/auth/me", undefined, pair.access_token));
    expect(me.user).toMatchObject({ username, email: `${username}@example.test` });
  });

  it("does not count a refresh as a sign-in", async () => {
    const clock = manualClock();
    const client = clientAt(clock);
    const { id, pair } = await registeredAt(client);
    clock.advance(6 * 60);
    const refreshed = await body(
      await client.send("POST", "/api/v1/auth/refresh", { refresh_token: pair.refresh_token }),
    );
    await expectError(
      await client.send(
        "PATCH",
        `/api/v1/users/${id}`,
        { email: `${unique("x")}@example.test` },
        refreshed.access_token,
      ),
      403,
      "REAUTHENTICATION_REQUIRED",
    );
  });

  it("still lets the user change other profile fields, and its own email after signing in again", async () => {
    const clock = manualClock();
    const client = clientAt(clock);
    const { id, username, pair } = await registeredAt(client);
    clock.advance(6 * 60);
    const profile = await client.send("PATCH", `/api/v1/users/${id}`, { full_name: "Still Me" }, pair.access_token);
    expect(profile.status).toBe(200);
    const again = await body(await client.send("POST", "/api/v1/auth/login", { username, password: PASSWORD }));
    const res = await client.send(
      "PATCH",
      `/api/v1/users/${id}`,
      { email: `${unique("new")}@example.test` },
      again.access_token,
    );
    expect(res.status).toBe(200);
  });

  it("does not apply to an administrator changing another user", async () => {
    const clock = manualClock();
    const client = clientAt(clock);
    const { id } = await registeredAt(client);
    const { token } = await fixtureAdmin();
    const res = await client.send("PATCH", `/api/v1/users/${id}`, { username: unique("renamed") }, token);
    expect(res.status).toBe(200);
  });
});
