#!/usr/bin/env node
// Checks in headless Chromium that /docs (Swagger UI) and /redoc render the API's operations with no
// internet access: starts the API with `npm run dev` on a spare port, loads each page, reads the DOM
// after the scripts ran, and looks for operations from /openapi.json.
// Needs Debian's chromium (`apt-get install chromium`); CHROMIUM=/path overrides the binary.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const port = process.env.DOCS_PORT ?? "8797";
const base = `http://127.0.0.1:${port}`;
const chromium = process.env.CHROMIUM ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
if (!chromium) {
  console.error("chromium not found: apt-get install chromium (or set CHROMIUM)");
  process.exit(2);
}

const server = spawn(process.execPath, ["scripts/dev.mjs", "--port", port, "--ip", "127.0.0.1"], {
  cwd: new URL("..", import.meta.url).pathname,
  stdio: ["ignore", "ignore", "inherit"],
  detached: true,
});
const stop = () => {
  try {
    process.kill(-server.pid, "SIGTERM");
  } catch {}
};

function dumpDom(path) {
  return execFileSync(
    chromium,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${mkdtempSync(join(tmpdir(), "docs-check-"))}`,
      "--virtual-time-budget=15000",
      "--dump-dom",
      `${base}${path}`,
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
}

let failed = false;
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/api/v1/health`)).ok) break;
    } catch {}
    if (i > 120) throw new Error("the API did not start");
    await new Promise((r) => setTimeout(r, 500));
  }
  const spec = await (await fetch(`${base}/openapi.json`)).json();
  const paths = Object.keys(spec.paths);
  const swagger = dumpDom("/docs");
  const shown = paths.filter((p) => swagger.includes(`data-path="${p}"`));
  const ops = (swagger.match(/class="opblock opblock-/g) ?? []).length;
  console.log(`/docs: ${ops} operations rendered; ${shown.length}/${paths.length} paths of /openapi.json shown`);
  if (shown.length !== paths.length || ops === 0) failed = true;
  const redoc = dumpDom("/redoc");
  const redocOps = paths.filter((p) => redoc.includes(p.replace(/\{/g, "{").slice(0, 40)));
  console.log(`/redoc: ${redocOps.length}/${paths.length} paths shown`);
  if (redocOps.length === 0) failed = true;
} catch (err) {
  console.error(String(err));
  failed = true;
} finally {
  stop();
}
console.log(failed ? "docs check FAILED" : "docs check passed");
process.exit(failed ? 1 : 0);
