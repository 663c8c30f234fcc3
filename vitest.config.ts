import { generateKeyPairSync, randomBytes } from "node:crypto";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { OAUTH_TEST_BINDINGS, oauthOutbound } from "./test/outbound/oauth";
import { reportMailOutbound } from "./test/outbound/reports";
import { webhookReceiver } from "./test/outbound/webhooks";

/** A fresh ES256 key per test run, in the same JWK form as the `JWT_PRIVATE_KEY` secret. */
function testSigningKey(kid: string): string {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return JSON.stringify({ ...privateKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" });
}

function testPublicKey(kid: string): string {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return JSON.stringify({ ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" });
}

/** What the fake email provider received, by recipient (read back by tests at `GET /__sent?to=`). */
const providerInbox = new Map<string, number>();

/**
 * Every outbound `fetch` of the Worker under test lands here (miniflare's `outboundService`): the fake
 * HTTP email provider at `https://email-provider.test` (`/ok` accepts, `/fail` answers 500, `/slow`
 * never answers in time), and nothing else. Any other request fails loudly, so no test reaches the
 * network by accident.
 */
async function outbound(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const oauth = await oauthOutbound(request.clone());
  if (oauth) return oauth;
  const webhook = await webhookReceiver(request);
  if (webhook) return webhook;
  const reportMail = await reportMailOutbound(request.clone());
  if (reportMail) return reportMail;
  if (url.origin === "https://email-provider.test") {
    if (url.pathname === "/__sent")
      return Response.json({ count: providerInbox.get(url.searchParams.get("to") ?? "") ?? 0 });
    if (request.headers.get("authorization") !== "Bearer test-email-api-key")
      return new Response("bad key", { status: 401 });
    if (url.pathname === "/fail") return new Response("provider is down", { status: 500 });
    if (url.pathname === "/ok") {
      const message = (await request.json()) as { to: string[] };
      for (const to of message.to) providerInbox.set(to, (providerInbox.get(to) ?? 0) + 1);
      return Response.json({ id: crypto.randomUUID() });
    }
  }
  throw new Error(`unmocked outbound request: ${request.method} ${request.url}`);
}

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: "./wrangler.toml" },
      // `npm run test:bundle`: the same tests against the deployed bundle (`npm run build` output).
      ...(process.env.TEST_BUNDLE ? { main: "./dist/worker/index.js" } : {}),
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations("./migrations"),
          ENVIRONMENT: "test",
          PUBLIC_URL: "https://api.example.test",
          ALLOWED_ORIGINS: "https://app.example.test",
          JWT_PRIVATE_KEY: testSigningKey("test-current"),
          JWT_PREVIOUS_PUBLIC_KEY: testPublicKey("test-previous"),
          PASSWORD_PEPPER: randomBytes(32).toString("base64url"),
          MFA_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
          INTEGRATION_KEYS: "test-integration-key-0123456789abcdef",
          ADMIN_EMAIL: "admin@example.test",
          ADMIN_PASSWORD: "Admin-Password-For-Tests-1",
          RATE_LIMITS_ENABLED: "false",
          EMAIL_API_KEY: "test-email-api-key",
          // Production D1 refuses more than 100 bound parameters a statement; hold every test to it.
          D1_MAX_BOUND_PARAMETERS: "100",
          // Many tests replace DB with a wrapper (counting, failing); D1 sessions would go around it.
          // test/d1-sessions.test.ts turns them on.
          D1_SESSIONS: "off",
          ...OAUTH_TEST_BINDINGS,
        },
        outboundService: outbound,
      },
    })),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["./test/setup.ts"],
    testTimeout: 30_000,
  },
});
