import { describe, expect, it } from "vitest";
import { fixtureAdmin } from "./access-fixtures";
import { signedIn } from "./factories";
import { body, env, expectError, send, unique } from "./helpers";

const PASSWORD = "correct horse battery staple";
const events = (token: string, query = "") => send("GET", `/api/v1/audit-events${query}`, undefined, token);

describe("GET /audit-events", () => {
  it("lists a user's security events, newest first, to a holder of audit:read", async () => {
    const { token } = await fixtureAdmin();
    const username = unique("aud");
    const reg = await body(
      await send("POST", "/api/v1/auth/register", { username, email: `${username}@example.test`, password: PASSWORD }),
    );
    await send("POST", "/api/v1/auth/login", { username, password: PASSWORD });
    const res = await events(token, `?user_id=${reg.user.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const json = await body(res);
    expect(json.audit_events.map((e: { event: string }) => e.event)).toEqual(["login", "register"]);
    expect(json.total).toBe(2);
    expect(json.audit_events[0]).toMatchObject({ user_id: reg.user.id, event: "login" });
  });

  it("filters by event", async () => {
    const { token } = await fixtureAdmin();
    const json = await body(await events(token, "?event=register&limit=1000"));
    expect(json.audit_events.length).toBeGreaterThan(0);
    expect(json.audit_events.every((e: { event: string }) => e.event === "register")).toBe(true);
  });

  it("filters by day, both bounds inclusive", async () => {
    const { token } = await fixtureAdmin();
    const today = new Date().toISOString().slice(0, 10);
    const all = await body(await events(token, "?limit=1000"));
    const sameDay = await body(await events(token, `?start_date=${today}&end_date=${today}&limit=1000`));
    expect(sameDay.total).toBe(all.total);
    const before = await body(await events(token, "?end_date=2000-01-01"));
    expect(before.total).toBe(0);
  });

  it("refuses an end_date before the start_date (422)", async () => {
    const { token } = await fixtureAdmin();
    const json = await expectError(
      await events(token, "?start_date=2026-11-25&end_date=2026-11-24"),
      422,
      "VALIDATION_ERROR",
    );
    expect(json.detail[0].loc).toEqual(["query", "end_date"]);
  });

  it("refuses a caller without audit:read (403)", async () => {
    const { token } = await signedIn("KNOWLEDGE_MANAGER");
    await expectError(await events(token), 403, "FORBIDDEN");
  });

  it("never stores a token or a password in an event's detail", async () => {
    const username = unique("sec");
    const password = `${PASSWORD} ${unique("p")}`;
    const wrong = `wrong ${unique("w")}`;
    const reg = await body(
      await send("POST", "/api/v1/auth/register", { username, email: `${username}@example.test`, password }),
    );
    await send("POST", "/api/v1/auth/login", { username, password: wrong });
    await send("POST", "/api/v1/auth/login", { username: wrong, password });
    const rotated = await body(await send("POST", "/api/v1/auth/refresh", { refresh_token: reg.refresh_token }));
    await send(
      "POST",
      "/api/v1/auth/change-password",
      { current_password: password, new_password: `${password}!` },
      rotated.access_token,
    );
    await send("DELETE", "/api/v1/auth/sessions", undefined, rotated.access_token);
    await send("POST", "/api/v1/auth/logout", undefined, rotated.access_token);
    const stored = await env.DB.prepare("SELECT event, detail, user_agent FROM auth_events").all<{
      event: string;
      detail: string | null;
    }>();
    const text = JSON.stringify(stored.results);
    for (const secret of [
      password,
      wrong,
      reg.access_token,
      reg.refresh_token,
      rotated.access_token,
      rotated.refresh_token,
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(stored.results.length).toBeGreaterThan(4);
  });
});
