#!/usr/bin/env node
// `npm run dev [-- wrangler dev options]`: prepares a first local run and starts `wrangler dev`.
//  1. copies the Swagger UI / ReDoc assets,
//  2. creates `.dev.vars` from `.dev.vars.example`, generating a signing key, a pepper, the TOTP
//     encryption key, an integration key and the local admin's password (an older `.dev.vars`
//     gets the TOTP key it lacks),
//  3. applies the D1 migrations to the local database,
//  4. starts `wrangler dev` with whatever follows `--` (e.g. `--port 8788 --var ADMIN_EMAIL:a@b.c`).
import { execFileSync, spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const node = process.execPath;
const wrangler = (args, opts = {}) =>
  execFileSync(node, [`${root}scripts/wrangler.mjs`, ...args], { stdio: "inherit", cwd: root, ...opts });

execFileSync(node, [`${root}scripts/copy-assets.mjs`], { stdio: "inherit" });

const varsPath = `${root}.dev.vars`;
if (!existsSync(varsPath)) {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const kid = `dev-${randomBytes(4).toString("hex")}`;
  const generated = {
    ADMIN_PASSWORD: `Dev-${randomBytes(12).toString("base64url")}`,
    JWT_PRIVATE_KEY: JSON.stringify({ ...privateKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" }),
    PASSWORD_PEPPER: randomBytes(32).toString("base64url"),
    MFA_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
    INTEGRATION_KEYS: `dev-${randomBytes(24).toString("base64url")}`,
  };
  const text = readFileSync(`${root}.dev.vars.example`, "utf8").replace(
    /^([A-Z_]+)=<generated>$/gm,
    (_, name) => `${name}=${name === "JWT_PRIVATE_KEY" ? `'${generated[name]}'` : generated[name]}`,
  );
  writeFileSync(varsPath, text, { mode: 0o600 });
  console.log("Created .dev.vars with a development signing key, pepper, integration key and admin password.");
}

// A `.dev.vars` made before TOTP existed gets its encryption key.
if (!/^MFA_ENCRYPTION_KEY=./m.test(readFileSync(varsPath, "utf8"))) {
  appendFileSync(varsPath, `\nMFA_ENCRYPTION_KEY=${randomBytes(32).toString("base64url")}\n`);
}

wrangler(["d1", "migrations", "apply", "identity-training", "--local"], { env: { ...process.env, CI: "true" } });

const vars = readFileSync(varsPath, "utf8");
// `--var NAME:value` options given after `--` override .dev.vars, as wrangler applies them.
const cliVar = (name) =>
  process.argv
    .slice(2)
    .map((arg, i, all) => (arg === "--var" ? all[i + 1] : arg.startsWith("--var=") ? arg.slice(6) : undefined))
    .find((v) => v?.startsWith(`${name}:`))
    ?.slice(name.length + 1);
const adminEmail = cliVar("ADMIN_EMAIL") ?? vars.match(/^ADMIN_EMAIL=(.*)$/m)?.[1];
const adminPassword = cliVar("ADMIN_PASSWORD") ?? vars.match(/^ADMIN_PASSWORD=(.*)$/m)?.[1];
if (adminEmail && adminPassword) {
  console.log(`\nLocal admin (created on the first request): ${adminEmail} / ${adminPassword}`);
}
const port = process.argv.slice(2).find((_arg, i, all) => all[i - 1] === "--port") ?? "8787";
console.log(`Docs: http://localhost:${port}/docs  ·  Health: http://localhost:${port}/api/v1/health\n`);

const child = spawn(node, [`${root}scripts/wrangler.mjs`, "dev", ...process.argv.slice(2)], {
  stdio: "inherit",
  cwd: root,
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
