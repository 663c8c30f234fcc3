import { generateKeyPairSync, randomBytes } from "node:crypto";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** A fresh ES256 key per test run, in the same JWK form as the `JWT_PRIVATE_KEY` secret. */
function testSigningKey(kid: string): string {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return JSON.stringify({ ...privateKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" });
}

function testPublicKey(kid: string): string {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return JSON.stringify({ ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" });
}

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations("./migrations"),
          ENVIRONMENT: "test",
          PUBLIC_URL: "https://api.example.test",
          ALLOWED_ORIGINS: "https://app.example.test",
          JWT_PRIVATE_KEY: testSigningKey("test-current"),
          JWT_PREVIOUS_PUBLIC_KEY: testPublicKey("test-previous"),
          PASSWORD_PEPPER: randomBytes(32).toString("base64url"),
          INTEGRATION_KEYS: "test-integration-key-0123456789abcdef",
          ADMIN_EMAIL: "admin@example.test",
          ADMIN_PASSWORD: "Admin-Password-For-Tests-1",
          RATE_LIMITS_ENABLED: "false",
          // Production D1 refuses more than 100 bound parameters a statement; hold every test to it.
          D1_MAX_BOUND_PARAMETERS: "100",
        },
      },
    })),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["./test/setup.ts"],
    testTimeout: 30_000,
  },
});
