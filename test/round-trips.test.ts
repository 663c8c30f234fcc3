import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { signedIn } from "./factories";
import { countingDb, env } from "./helpers";

describe("D1 round trips", () => {
  it("a token without its authorization (`az`, older tokens) costs one round trip for it plus one for the data", async () => {
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
