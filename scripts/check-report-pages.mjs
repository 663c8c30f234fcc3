#!/usr/bin/env node
// Checks in headless Chromium the report page (`GET /api/v1/reports/{id}/html`, inline SVG charts)
// and the unsubscribe page of a report email: starts the API with `npm run dev` on a spare port, makes
// trainings, registrations and a report through the API as the local admin, sends it, then loads the
// pages at desktop and phone size, checks their DOM (two charts, no external asset, CSP) and saves
// screenshots under `screenshots/reports/`. The report page needs a bearer token, which a browser
// started from the command line can't send: it is fetched with the token and loaded from a file, with
// the response's Content-Security-Policy put back as a <meta> tag so that the same policy applies.
// Needs Debian's chromium (see headless.mjs).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findChromium, headlessFlags, root, runChromium, startLocalApi } from "./headless.mjs";

const outDir = join(root, "screenshots", "reports");
const chromium = findChromium();
mkdirSync(outDir, { recursive: true });
const { base, stop } = await startLocalApi(process.env.PAGES_PORT ?? "8799", ["--var", "RATE_LIMITS_ENABLED:false"]);

const sizes = { phone: "390,844", desktop: "1280,1000" };
const flags = (size) => [
  ...headlessFlags(),
  "--hide-scrollbars",
  "--virtual-time-budget=5000",
  `--window-size=${size}`,
];
const dumpDom = (url) => runChromium(chromium, [...flags(sizes.phone), "--dump-dom", url]);
const screenshot = (url, name, size) => {
  const file = join(outDir, `${name}-${size}.png`);
  runChromium(chromium, [...flags(sizes[size]), `--screenshot=${file}`, url]);
  return file;
};

let failed = false;
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failed = true;
};
const request = async (method, path, data, token) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: data === undefined ? undefined : JSON.stringify(data),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
};

try {
  const vars = readFileSync(join(root, ".dev.vars"), "utf8");
  const email = vars.match(/^ADMIN_EMAIL=(.*)$/m)?.[1];
  const password = vars.match(/^ADMIN_PASSWORD=(.*)$/m)?.[1];
  const { access_token: admin } = await (await request("POST", "/api/v1/auth/login", { email, password })).json();

  // Some figures: three trainings and a few registrations of new users, today.
  const stamp = Date.now().toString(36);
  const trainings = [];
  for (const [title, seats] of [
    ["Security basics", 20],
    ["Leading remote teams", 12],
    ["Incident response", null],
  ]) {
    const body = { title: `${title} ${stamp}`, category: "SECURITY", level: "BEGINNER", status: "PUBLISHED" };
    const res = await request("POST", "/api/v1/trainings", seats ? { ...body, max_participants: seats } : body, admin);
    trainings.push((await res.json()).training.id);
  }
  for (let i = 0; i < 6; i++) {
    const user = await (
      await request("POST", "/api/v1/auth/register", {
        username: `reports${stamp}${i}`,
        email: `reports${stamp}${i}@example.com`,
        password: "a long passphrase for reports",
      })
    ).json();
    for (const id of trainings.slice(0, 1 + (i % 3)))
      await request("POST", `/api/v1/trainings/${id}/register`, {}, user.access_token);
  }
  const { report } = await (await request("POST", "/api/v1/reports/generate", { name: "Pages check" }, admin)).json();

  const res = await request("GET", `/api/v1/reports/${report.id}/html`, undefined, admin);
  const csp = res.headers.get("content-security-policy") ?? "";
  check(/default-src 'none'; style-src 'nonce-/.test(csp), "report: strict CSP with a style nonce");
  const html = (await res.text()).replace(
    "<head>",
    `<head><meta http-equiv="Content-Security-Policy" content="${csp}">`,
  );
  const file = join(outDir, "report.html");
  writeFileSync(file, html);
  const dom = dumpDom(`file://${file}`);
  check((dom.match(/<svg /g) ?? []).length === 2, "report: two inline SVG charts");
  check(dom.includes("Registrations per day") && dom.includes("Most popular trainings"), "report: chart titles");
  check((dom.match(/<rect /g) ?? []).length >= 8, "report: bars drawn (7 days and 3 trainings)");
  check(!/(src|href)="https?:|<script|<link/.test(dom), "report: no script, no external asset");
  for (const size of Object.keys(sizes)) console.log(`     screenshot ${screenshot(`file://${file}`, "report", size)}`);

  await request("POST", "/api/v1/reports/send", { report_id: report.id, subject: `Pages check ${stamp}` }, admin);
  const { emails } = await (await request("GET", "/api/v1/admin/emails?limit=20", undefined, admin)).json();
  const mail = emails.find((e) => e.kind === "report");
  const link = new URL(/https?:\/\/\S+unsubscribe\?token=\S+/.exec(mail?.text ?? "")?.[0] ?? "");
  const unsubscribe = `${base}${link.pathname}${link.search}`;
  const page = await fetch(unsubscribe);
  check(page.status === 200, `unsubscribe: status ${page.status}`);
  const pageDom = dumpDom(unsubscribe);
  check(pageDom.includes("<button") && pageDom.includes("Unsubscribe"), "unsubscribe: a button");
  check(!/(src|href)="https?:/.test(pageDom), "unsubscribe: no external asset");
  console.log(`     screenshot ${screenshot(unsubscribe, "unsubscribe", "phone")}`);
} catch (err) {
  console.error(String(err));
  failed = true;
} finally {
  stop();
}
console.log(failed ? "report pages check FAILED" : "report pages check passed");
process.exit(failed ? 1 : 0);
