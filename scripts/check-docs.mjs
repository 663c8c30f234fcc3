#!/usr/bin/env node
// Checks in headless Chromium that /docs (Swagger UI) and /redoc render the API's operations with no
// internet access: starts the API with `npm run dev` on a spare port, loads each page, reads the DOM
// after the scripts ran, and looks for operations from /openapi.json.
// Needs Debian's chromium (see headless.mjs).
import { findChromium, headlessFlags, runChromium, startLocalApi } from "./headless.mjs";

const chromium = findChromium();
const { base, stop } = await startLocalApi(process.env.DOCS_PORT ?? "8797");

const dumpDom = (path) =>
  runChromium(chromium, [...headlessFlags(), "--virtual-time-budget=15000", "--dump-dom", `${base}${path}`]);

let failed = false;
try {
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
