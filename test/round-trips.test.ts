import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { signedIn } from "./factories";
import { countingDb, env } from "./helpers";

describe("D1 round trips", () => {
  it("GET /auth/me costs one round trip for identity and permissions plus one for the user view", async () => {
    const { token } = await signedIn("EMPLOYEE");
    // Warm the isolate (admin bootstrap runs once per isolate).
    await app.request("/api/v1/hello", {}, env);
    const { db, counter } = countingDb(env.DB);
    const res = await app.request(
      "/api/v1/auth/me",
      { headers: { Authorization: `Bearer ${token}` } },
      { ...env, DB: db },
    );
    expect(res.status).toBe(200);
    expect(counter.trips).toBe(2);
  });

  it("refuses a bad token without touching D1", async () => {
    await app.request("/api/v1/hello", {}, env);
    const { db, counter } = countingDb(env.DB);
    const res = await app.request(
      "/api/v1/auth/me",
      { headers: { Authorization: "Bearer not.a.token" } },
      { ...env, DB: db },
    );
    expect(res.status).toBe(401);
    expect(counter.trips).toBe(0);
  });
});

describe("D1 round trips of chat", () => {
  it("POST /chat/send costs authentication, the data it reads and one batch that stores both messages", async () => {
    const { token } = await signedIn("EMPLOYEE");
    await app.request("/api/v1/hello", {}, env);
    const trips = async (message: string, conversationId?: number) => {
      const { db, counter } = countingDb(env.DB);
      const res = await app.request(
        "/api/v1/chat/send",
        {
          method: "POST",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: JSON.stringify({ message, conversation_id: conversationId }),
        },
        { ...env, DB: db },
      );
      expect(res.status).toBe(200);
      return {
        trips: counter.trips,
        id: ((await res.json()) as { data: { conversation_id: number } }).data.conversation_id,
      };
    };
    // Help reads nothing; the catalog is one batch; a known conversation adds its ownership check.
    const first = await trips("hello");
    expect(first.trips).toBe(2);
    expect((await trips("Which trainings have free seats?")).trips).toBe(3);
    expect((await trips("hello", first.id)).trips).toBe(3);
  });
});
