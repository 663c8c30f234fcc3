import { describe, expect, it } from "vitest";
import { systemClock } from "../src/lib/clock";
import { body, clientAt, unique } from "./helpers";

/** The suite runs with D1 sessions off (its D1 wrappers); these tests turn them on, as production has them. */
const client = () => clientAt(systemClock, { D1_SESSIONS: "on" } as Partial<Env>);
const BOOKMARK = /^[0-9a-f]{1,16}(-[0-9a-f]{1,40}){1,6}$/i;

describe("D1 sessions (read replication)", () => {
  it("answers the session's bookmark, and reads a client's own write when it hands the bookmark back", async () => {
    const api = client();
    const username = unique("bm");
    const reg = await api.send("POST", "/api/v1/auth/register", {
      username,
      email: `${username}@example.test`,
      password: "correct horse battery staple",
    });
    expect(reg.status).toBe(201);
    const afterWrite = reg.headers.get("x-d1-bookmark") ?? "";
    expect(afterWrite).toMatch(BOOKMARK);
    const { access_token } = await body(reg);

    const me = await api.send("GET", "/api/v1/auth/me", undefined, access_token, { "x-d1-bookmark": afterWrite });
    expect(me.status).toBe(200);
    expect((await body(me)).user.username).toBe(username);
    const afterRead = me.headers.get("x-d1-bookmark") ?? "";
    expect(afterRead).toMatch(BOOKMARK);
    // Bookmarks are ordered: the read's session is at least as recent as the write it was anchored at.
    expect(afterRead >= afterWrite).toBe(true);
  });

  it("ignores a bookmark that is not one, and answers as a new client", async () => {
    const res = await client().send("GET", "/api/v1/modules", undefined, undefined, {
      "x-d1-bookmark": "'; DROP TABLE users",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-d1-bookmark") ?? "").toMatch(BOOKMARK);
  });

  it("lets browsers on allowed origins send and read the header", async () => {
    const res = await client().call("/api/v1/health", {
      method: "OPTIONS",
      headers: {
        Origin: "https://app.example.test",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-d1-bookmark",
      },
    });
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("x-d1-bookmark");
    const get = await client().call("/api/v1/health", { headers: { Origin: "https://app.example.test" } });
    expect(get.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("x-d1-bookmark");
  });
});
