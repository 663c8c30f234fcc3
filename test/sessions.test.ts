import { describe, expect, it } from "vitest";
import { fixtureAdmin, userWithPermissions } from "./access-fixtures";
import { signedIn } from "./factories";
import { body, call, clientAt, env, expectError, manualClock, send, unique } from "./helpers";

const PASSWORD = "correct horse battery staple";

/** A new account signed in `times` times (one session each), with the pairs in order. */
async function accountWithSessions(times: number) {
  const username = unique("ses");
  const first = await body(
    await send("POST", "/api/v1/auth/register", { username, email: `${username}@example.test`, password: PASSWORD }),
  );
  const pairs = [first];
  for (let i = 1; i < times; i++) {
    pairs.push(await body(await send("POST", "/api/v1/auth/login", { username, password: PASSWORD })));
  }
  return { userId: first.user.id as number, pairs };
}

const sidOf = (accessToken: string) =>
  JSON.parse(atob((accessToken.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/"))).sid as string;
const me = (token: string) => send("GET", "/api/v1/auth/me", undefined, token);
const refresh = (token: string) => send("POST", "/api/v1/auth/refresh", { refresh_token: token });

describe("GET /auth/sessions", () => {
  it("lists the caller's open sessions, marking the current one", async () => {
    const { pairs } = await accountWithSessions(2);
    const [a, b] = pairs;
    const res = await send("GET", "/api/v1/auth/sessions", undefined, b.access_token, { "User-Agent": "test-agent" });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const json = await body(res);
    expect(json.total).toBe(2);
    const byId = new Map(json.sessions.map((s: { id: string }) => [s.id, s]));
    expect(byId.get(sidOf(b.access_token))).toMatchObject({ current: true });
    expect(byId.get(sidOf(a.access_token))).toMatchObject({ current: false });
    for (const s of json.sessions) {
      expect(Object.keys(s).sort()).toEqual(
        ["created_at", "current", "expires_at", "id", "ip", "last_used_at", "user_agent"].sort(),
      );
    }
  });

  it("does not list sessions that were ended", async () => {
    const { pairs } = await accountWithSessions(2);
    await send("POST", "/api/v1/auth/logout", undefined, pairs[0].access_token);
    const json = await body(await send("GET", "/api/v1/auth/sessions", undefined, pairs[1].access_token));
    expect(json.sessions.map((s: { id: string }) => s.id)).toEqual([sidOf(pairs[1].access_token)]);
  });
});

describe("DELETE /auth/sessions/{session_id}", () => {
  it("ends one of the caller's sessions: its access and refresh tokens fail next", async () => {
    const { pairs } = await accountWithSessions(2);
    const [a, b] = pairs;
    const res = await send("DELETE", `/api/v1/auth/sessions/${sidOf(a.access_token)}`, undefined, b.access_token);
    expect(res.status).toBe(200);
    await expectError(await me(a.access_token), 401, "INVALID_TOKEN");
    expect((await refresh(a.refresh_token)).status).toBe(401);
    expect((await me(b.access_token)).status).toBe(200);
  });

  it("answers 404 for another user's session and leaves it alive", async () => {
    const mine = await accountWithSessions(1);
    const theirs = await accountWithSessions(1);
    const sid = sidOf(theirs.pairs[0].access_token);
    await expectError(
      await send("DELETE", `/api/v1/auth/sessions/${sid}`, undefined, mine.pairs[0].access_token),
      404,
      "SESSION_NOT_FOUND",
    );
    expect((await me(theirs.pairs[0].access_token)).status).toBe(200);
  });

  it("records the ended session in the audit trail", async () => {
    const { userId, pairs } = await accountWithSessions(2);
    const sid = sidOf(pairs[0].access_token);
    await send("DELETE", `/api/v1/auth/sessions/${sid}`, undefined, pairs[1].access_token);
    const row = await env.DB.prepare("SELECT detail FROM auth_events WHERE user_id = ?1 AND event = 'session_ended'")
      .bind(userId)
      .first<{ detail: string }>();
    expect(row?.detail).toBe(`session ${sid} by user ${userId}`);
  });
});

describe("DELETE /auth/sessions", () => {
  it("ends every session but the current one", async () => {
    const { pairs } = await accountWithSessions(3);
    const [a, b, c] = pairs;
    const res = await send("DELETE", "/api/v1/auth/sessions", undefined, c.access_token);
    expect(await body(res)).toEqual({ ended: 2, message: "Other sessions ended successfully" });
    expect((await me(a.access_token)).status).toBe(401);
    expect((await me(b.access_token)).status).toBe(401);
    expect((await me(c.access_token)).status).toBe(200);
  });
});

describe("a session's last_used_at", () => {
  it("is written at most once a minute", async () => {
    const clock = manualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    const client = clientAt(clock);
    const username = unique("lu");
    const pair = await body(
      await client.send("POST", "/api/v1/auth/register", {
        username,
        email: `${username}@example.test`,
        password: PASSWORD,
      }),
    );
    const lastUsed = async () =>
      (await body(await client.send("GET", "/api/v1/auth/sessions", undefined, pair.access_token))).sessions[0]
        .last_used_at;
    expect(await lastUsed()).toBe("2026-11-25T12:00:00.000Z");
    clock.advance(30);
    expect(await lastUsed()).toBe("2026-11-25T12:00:00.000Z");
    clock.advance(31);
    await client.send("GET", "/api/v1/auth/me", undefined, pair.access_token);
    expect(await lastUsed()).toBe("2026-11-25T12:01:01.000Z");
  });
});

describe("GET and DELETE /users/{id}/sessions", () => {
  it("lets an administrator list a user's sessions", async () => {
    const { token } = await fixtureAdmin();
    const { userId } = await accountWithSessions(2);
    const json = await body(await send("GET", `/api/v1/users/${userId}/sessions`, undefined, token));
    expect(json.total).toBe(2);
    expect(json.sessions.every((s: { current: boolean }) => !s.current)).toBe(true);
  });

  it("lets an administrator end all of a user's sessions", async () => {
    const { token } = await fixtureAdmin();
    const { userId, pairs } = await accountWithSessions(2);
    expect(await body(await send("DELETE", `/api/v1/users/${userId}/sessions`, undefined, token))).toEqual({
      ended: 2,
      message: "Sessions ended successfully",
    });
    for (const p of pairs) expect((await me(p.access_token)).status).toBe(401);
  });

  it("refuses a caller without users:manage_access (403)", async () => {
    const { token } = await signedIn("EMPLOYEE");
    const { userId } = await accountWithSessions(1);
    await expectError(await send("GET", `/api/v1/users/${userId}/sessions`, undefined, token), 403, "FORBIDDEN");
  });

  it("refuses to end the sessions of a user more privileged than the caller (403)", async () => {
    const { token } = await userWithPermissions(["users:manage_access", "users:read"]);
    const target = await fixtureAdmin();
    await expectError(
      await send("DELETE", `/api/v1/users/${target.user.id}/sessions`, undefined, token),
      403,
      "PRIVILEGE_ESCALATION",
    );
    expect((await me(target.token)).status).toBe(200);
  });

  it("answers 404 for an unknown user", async () => {
    const { token } = await fixtureAdmin();
    await expectError(await send("GET", "/api/v1/users/999999/sessions", undefined, token), 404, "USER_NOT_FOUND");
  });

  it("does not list the sessions of a user more privileged than the caller (403, read in the same trip and dropped)", async () => {
    const { token } = await userWithPermissions(["users:manage_access", "users:read"]);
    const target = await fixtureAdmin();
    const res = await send("GET", `/api/v1/users/${target.user.id}/sessions`, undefined, token);
    const json = await expectError(res, 403, "PRIVILEGE_ESCALATION");
    expect(JSON.stringify(json)).not.toContain("user_agent");
    expect(json).not.toHaveProperty("sessions");
  });
});

describe("POST /auth/logout as curl sends it", () => {
  it("signs out with only the bearer header and an empty body (Content-Length: 0, no Content-Type)", async () => {
    const { token } = await signedIn();
    const res = await call("/api/v1/auth/logout", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Length": "0" },
      // Bytes, not a string, which would be given a text/plain type.
      body: new Uint8Array(0),
    });
    expect({ status: res.status, body: await body(res) }).toEqual({
      status: 200,
      body: { message: "Logged out successfully" },
    });
    await expectError(await send("GET", "/api/v1/auth/me", undefined, token), 401, "INVALID_TOKEN");
  });

  it("still refuses a body that is not empty and says no type (415)", async () => {
    const { token } = await signedIn();
    const res = await call("/api/v1/auth/logout", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
      body: new TextEncoder().encode('{"refresh_token":"x"}'),
    });
    expect(res.status).toBe(415);
  });
});
