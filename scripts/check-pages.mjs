#!/usr/bin/env node
// Checks in headless Chromium the small HTML pages of the emailed-link flows (magic-link sign-in,
// password-reset form, email-verification result, a refused link), as a phone shows them: starts the
// API with `npm run dev` on a spare port, makes real links through the API (the `record` transport
// keeps every email, read back at GET /api/v1/admin/emails as the local admin), loads each page,
// checks its DOM (labels, CSP, no external asset) and saves a screenshot under `screenshots/pages/`.
// Needs Debian's chromium (see headless.mjs).
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { findChromium, headlessFlags, root, runChromium, startLocalApi } from "./headless.mjs";

const outDir = join(root, "screenshots", "pages");
const chromium = findChromium();
mkdirSync(outDir, { recursive: true });
// Rate limits off: making the links takes more sign-in requests from one address than they allow.
const { base, stop } = await startLocalApi(process.env.PAGES_PORT ?? "8798", ["--var", "RATE_LIMITS_ENABLED:false"]);

const phone = () => [...headlessFlags(), "--hide-scrollbars", "--virtual-time-budget=5000", "--window-size=390,844"];
const dumpDom = (url) => runChromium(chromium, [...phone(), "--dump-dom", url]);
const screenshot = (url, name) => {
  const file = join(outDir, `${name}.png`);
  runChromium(chromium, [...phone(), `--screenshot=${file}`, url]);
  return file;
};

const json = async (res) => {
  if (!res.ok) throw new Error(`${res.url}: ${res.status} ${await res.text()}`);
  return res.json();
};
const post = (path, data, token) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: data === undefined ? undefined : JSON.stringify(data),
  });

let failed = false;
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failed = true;
};

try {
  const vars = readFileSync(join(root, ".dev.vars"), "utf8");
  const adminEmail = vars.match(/^ADMIN_EMAIL=(.*)$/m)?.[1];
  const adminPassword = vars.match(/^ADMIN_PASSWORD=(.*)$/m)?.[1];
  const admin = await json(await post("/api/v1/auth/login", { email: adminEmail, password: adminPassword }));

  // A new user (registration sends the verification email), then a magic link and a reset link for it.
  const username = `pages${Date.now().toString(36)}`;
  const email = `${username}@example.com`;
  const user = await json(
    await post("/api/v1/auth/register", { username, email, password: "a long passphrase for pages" }),
  );
  // The verification page uses its token up: one link per load (registration's and two resent ones).
  await post("/api/v1/auth/verify-email", undefined, user.access_token);
  await post("/api/v1/auth/verify-email", undefined, user.access_token);
  await post("/api/v1/auth/magic-link", { email, next: "/docs" });
  await post("/api/v1/auth/password-reset", { email });
  // A change of the user's own email: the link goes to the new address.
  const newEmail = `${username}.new@example.com`;
  await fetch(`${base}/api/v1/users/${user.user.id}`, {
    method: "PATCH",
    headers: { "content-type": "application/json", authorization: `Bearer ${user.access_token}` },
    body: JSON.stringify({ email: newEmail }),
  });
  const { emails } = await json(
    await fetch(`${base}/api/v1/admin/emails?limit=20`, { headers: { authorization: `Bearer ${admin.access_token}` } }),
  );
  const linksOf = (kind, to = email) => {
    const texts = emails.filter((e) => e.to === to && e.kind === kind).map((e) => e.text);
    const urls = texts.map((text) => new URL(/https?:\/\/\S+/.exec(text)?.[0] ?? ""));
    return urls.map((url) => `${base}${url.pathname}${url.search}`);
  };
  const linkOf = (kind) => linksOf(kind)[0];

  const pages = [
    { name: "magic-link", url: linkOf("magic_link"), expect: ["<button", 'name="token"', "Sign in"] },
    {
      name: "password-reset",
      url: linkOf("password_reset"),
      expect: ['<label for="new_password">', 'id="new_password"', 'autocomplete="new-password"'],
    },
    { name: "verify-email", urls: linksOf("email_verification"), expect: ["Email address verified"] },
    {
      name: "confirm-email",
      url: linksOf("email_change", newEmail)[0],
      expect: ["<button", 'name="token"', "Use this address", newEmail],
    },
    { name: "refused-link", url: `${base}/api/v1/auth/magic-link?token=not-a-token`, expect: ['role="alert"'] },
  ];
  for (const page of pages) {
    const [first, second, third] = page.urls ?? [page.url, page.url, page.url];
    const res = await fetch(first);
    check(res.status === (page.name === "refused-link" ? 400 : 200), `${page.name}: status ${res.status}`);
    const csp = res.headers.get("content-security-policy") ?? "";
    check(csp.includes("default-src 'none'") && csp.includes("form-action 'self'"), `${page.name}: strict CSP`);
    const dom = dumpDom(second);
    for (const text of page.expect) check(dom.includes(text), `${page.name}: has ${text}`);
    check(!/(src|href)="https?:/.test(dom), `${page.name}: no external asset`);
    check(dom.includes('name="viewport"'), `${page.name}: viewport for phones`);
    console.log(`     screenshot ${screenshot(third, page.name)}`);
  }
} catch (err) {
  console.error(String(err));
  failed = true;
} finally {
  stop();
}
console.log(failed ? "pages check FAILED" : "pages check passed");
process.exit(failed ? 1 : 0);
