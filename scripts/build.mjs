#!/usr/bin/env node
// `npm run build`: bundles the Worker for deployment into dist/worker/index.js (+ its source map),
// the way wrangler would (esbuild, ES module, minified, `node:*`/`cloudflare:*` left to
// the runtime), plus what wrangler's bundler cannot do because it takes no esbuild plugins: code
// that the deployed Worker never runs is left out of the bundle (see `trimmed` below), and a second
// minification pass with terser (see `minify` below). `npm run deploy` uploads this file as it is
// (`wrangler deploy --no-bundle`); `npm run dev` and the tests run src/ directly, unchanged. Data the Worker needs but that would only weigh on the script is a static
// asset under public/ instead, read through the ASSETS binding: the common-password list
// (public/password-policy/common-passwords.gcs, see scripts/build-common-passwords.mjs) and, written
// below, the OpenAPI document.
//
//   node scripts/build.mjs            build, print the size
//   node scripts/build.mjs --analyze  also print the largest inputs (esbuild's metafile, before terser)
//   node scripts/build.mjs --readable into dist/profile/ instead, unminified with names kept (for bench/profile.mjs)
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { WORKER_BUNDLE_OPTIONS } from "./bundle-options.mjs";

const root = new URL("..", import.meta.url).pathname;
const ts = (await import("typescript")).default;
const require = createRequire(import.meta.url);
// The esbuild that wrangler itself bundles with: no extra dependency, the same version.
const esbuild = createRequire(require.resolve("wrangler/package.json"))("esbuild");
const readable = process.argv.includes("--readable");
const outdir = join(root, readable ? "dist/profile" : "dist/worker");
const zodDir = dirname(require.resolve("zod/package.json"));

/**
 * Modules replaced in the deployed bundle; each replacement keeps the behaviour the Worker uses.
 * - zod's message locales: `@hono/zod-openapi` imports zod's `z` namespace, which re-exports every
 *   locale (`z.locales`), so all ~45 end up in the bundle. The API configures English only (zod's
 *   default, set by `zod/v4/classic/external.js` itself), so only `en` is kept.
 * - zod's `fromJSONSchema` (builds zod schemas from JSON Schema) and `z.compile` (a JIT compiler
 *   that needs `new Function`, which Workers forbid; zod itself turns it off on Workers): never
 *   called; each export becomes a function that throws if it ever is.
 * - zod's `z` namespace as a value: `@hono/zod-openapi` imports `z` from zod, passes it to
 *   `extendZodWithOpenApi(z)` and re-exports it, and our sources import `z` from there; a namespace
 *   used as a value keeps every export of zod in the bundle. In the bundle `@hono/zod-openapi`
 *   passes `{ ZodType }` instead (all the runtime stub below reads) and our sources import zod's
 *   namespace directly (`import * as z`), whose property reads esbuild resolves to single exports,
 *   so what no schema uses is left out (-13 KiB gzipped). In dev and tests the sources import
 *   `z` from `@hono/zod-openapi` as written, which extends zod before any schema is built; in
 *   the bundle the `.openapi(...)` calls on schemas are gone (`withoutDocumentation`), so nothing
 *   depends on that order.
 * - the OpenAPI document: generated here, at build time, from the same app (`generateDocument`), and
 *   served from the static assets by `src/openapi-document.deployed.ts`, which takes the place of
 *   `src/openapi-document.ts`. At runtime `@hono/zod-openapi` then needs of
 *   `@asteasolutions/zod-to-openapi` only what defining routes touches: `ZOD_TO_OPENAPI_AT_RUNTIME`,
 *   and the text that only the document shows is left out of our sources: `withoutDocumentation`.
 */
const trimmed = {
  name: "trim-unused",
  setup(build) {
    build.onResolve({ filter: /^\.\/openapi-document$/ }, (args) => ({
      path: join(args.resolveDir, "openapi-document.deployed.ts"),
    }));
    build.onResolve({ filter: /^@asteasolutions\/zod-to-openapi$/ }, () => ({
      path: "zod-to-openapi",
      namespace: "runtime-stub",
    }));
    build.onLoad({ filter: /.*/, namespace: "runtime-stub" }, () => ({
      contents: ZOD_TO_OPENAPI_AT_RUNTIME,
      loader: "js",
    }));
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: join(zodDir, "v4/locales"),
      loader: "js",
    }));
    build.onLoad({ filter: /[\\/]@hono[\\/]zod-openapi[\\/]dist[\\/]index\.mjs$/ }, (args) => ({
      contents: replaceExactly(readFileSync(args.path, "utf8"), args.path, [
        ['import { z } from "zod";', 'import { ZodType } from "zod";'],
        ["extendZodWithOpenApi(z);", "extendZodWithOpenApi({ ZodType });"],
        ["extendZodWithOpenApi, z };", "extendZodWithOpenApi };"],
      ]),
      loader: "js",
    }));
    build.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => ({
      contents: withoutDocumentation(
        readFileSync(args.path, "utf8").replace(
          /^import \{ z \} from "@hono\/zod-openapi";$/m,
          `import * as z from ${JSON.stringify(join(zodDir, "v4/classic/external.js"))};`,
        ),
        args.path,
      ),
      loader: "ts",
    }));
    build.onLoad({ filter: ZOD_UNUSED }, (args) => ({
      contents: throwingStubOf(args.path),
      loader: "js",
    }));
  },
};

/**
 * What `@hono/zod-openapi` uses of `@asteasolutions/zod-to-openapi` while routes are defined and
 * requests validated, without the document generator: a registry that keeps nothing, and a
 * `.openapi()` on zod schemas that returns the schema itself (it only adds documentation metadata;
 * validation is zod's own). Generating a document from it throws.
 */
const ZOD_TO_OPENAPI_AT_RUNTIME = `
export class OpenAPIRegistry {
  definitions = [];
  register(_refId, schema) { return schema; }
  registerParameter(_refId, schema) { return schema; }
  registerPath() {}
  registerWebhook() {}
  registerComponent(type, name, component) { return { name, ref: { $ref: "#/components/" + type + "/" + name }, component }; }
}
class NoGenerator { constructor() { throw new Error("the OpenAPI generator is not in the deployed bundle"); } }
export { NoGenerator as OpenApiGeneratorV3, NoGenerator as OpenApiGeneratorV31, NoGenerator as OpenApiGeneratorV32 };
export function extendZodWithOpenApi(zod) {
  if (typeof zod.ZodType.prototype.openapi === "undefined") zod.ZodType.prototype.openapi = function () { return this; };
}
export function getOpenApiMetadata() { return {}; }
export function getRefId() { return undefined; }
`;

/**
 * `text` with each `[from, to]` of `pairs` replaced once; a `from` that is not there (the package
 * changed) stops the build rather than quietly bundling the whole of zod again.
 */
function replaceExactly(text, path, pairs) {
  let out = text;
  for (const [from, to] of pairs) {
    if (!out.includes(from)) throw new Error(`${path}: expected ${JSON.stringify(from)}; update scripts/build.mjs`);
    out = out.replace(from, to);
  }
  return out;
}

/**
 * Route definitions, and the properties of theirs that only the OpenAPI document reads (neither
 * `@hono/zod-openapi` nor `src/middleware/route.ts` reads `responses` or `tags` when routing or
 * validating; the response schemas themselves stay, as modules export them).
 */
const ROUTE_DEFINERS = new Set(["guardedRoute", "publicRoute", "createRoute"]);
const DOCUMENTATION_ONLY = new Set(["summary", "description", "responses", "tags"]);

/**
 * `text` (a source file) without what only the OpenAPI document reads, which the deployed Worker
 * serves from the assets: the `DOCUMENTATION_ONLY` properties of route definitions, and the
 * `.openapi("Name", { example, description })` calls on schemas (at runtime `.openapi()` returns the
 * schema itself; see `ZOD_TO_OPENAPI_AT_RUNTIME`). An `.openapi(route, handler)` call, which
 * registers a route, is kept: only calls whose arguments are all string or object literals go.
 * What goes is overwritten with spaces (line breaks kept), so that every line and column that stays
 * is where it was and the source map stays exact.
 */
function withoutDocumentation(text, fileName) {
  if (!text.includes("Route(") && !text.includes(".openapi(")) return text;
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const cuts = [];
  const visit = (node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (
        ts.isIdentifier(callee) &&
        ROUTE_DEFINERS.has(callee.text) &&
        ts.isObjectLiteralExpression(node.arguments[0])
      ) {
        for (const property of node.arguments[0].properties) {
          const name = property.name && ts.isIdentifier(property.name) ? property.name.text : undefined;
          if (ts.isPropertyAssignment(property) && DOCUMENTATION_ONLY.has(name)) {
            let end = property.end;
            while (/\s/.test(text[end] ?? "")) end += 1;
            cuts.push([property.getStart(source), text[end] === "," ? end + 1 : property.end]);
          }
        }
      }
      if (
        ts.isPropertyAccessExpression(callee) &&
        callee.name.text === "openapi" &&
        node.arguments.every((a) => ts.isStringLiteral(a) || ts.isObjectLiteralExpression(a))
      ) {
        cuts.push([callee.expression.end, node.end]);
        visit(callee.expression);
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  let out = text;
  for (const [start, end] of cuts) {
    out = out.slice(0, start) + out.slice(start, end).replace(/[^\n]/g, " ") + out.slice(end);
  }
  return out;
}

/** zod's modules that the deployed Worker never runs (see `trimmed`). */
const ZOD_UNUSED =
  /[\\/]zod[\\/]v4[\\/](classic[\\/]from-json-schema|core[\\/](compile|json-schema-processors|json-schema-generator|to-json-schema))\.js$/;

/**
 * A module with the same exports as `path`, each a function that throws when called; `create...`
 * exports (zod's schema constructors call `createToJSONSchemaMethod(schema)` to attach a
 * `.toJSONSchema()` method) return such a function instead.
 */
function throwingStubOf(path) {
  const source = readFileSync(path, "utf8");
  const names = [...source.matchAll(/^export (?:async )?(?:function\*?|class|const|let|var) (\w+)/gm)].map((m) => m[1]);
  const body = names.map((n) =>
    n.startsWith("create")
      ? `export function ${n}() { return () => fail("${n}"); }`
      : `export function ${n}() { fail("${n}"); }`,
  );
  return `function fail(name) { throw new Error(name + ": not in the deployed bundle"); }\n${body.join("\n")}`;
}

/**
 * The OpenAPI document of the app as `src/openapi-document.ts` generates it (with a placeholder
 * origin in `servers`, replaced per request), written to public/docs-assets/openapi.json.
 */
async function generateDocument() {
  const entry = join(root, "dist/openapi-generator.mjs");
  await esbuild.build({
    stdin: {
      contents: `import { createApp } from "./src/app";
import { documentFields } from "./src/openapi-document";
export default createApp().getOpenAPI31Document(documentFields("https://api.example.com"));`,
      resolveDir: root,
      loader: "ts",
      sourcefile: "openapi-generator.ts",
    },
    outfile: entry,
    bundle: true,
    format: "esm",
    platform: "node",
    conditions: ["workerd", "worker"],
    logLevel: "warning",
  });
  const { default: document } = await import(`${entry}?${Date.now()}`);
  rmSync(entry);
  const out = join(root, "public/docs-assets/openapi.json");
  writeFileSync(out, JSON.stringify(document));
  console.log(`public/docs-assets/openapi.json: ${Object.keys(document.paths).length} paths`);
}

if (!readable) await generateDocument();
mkdirSync(outdir, { recursive: true });
const result = await esbuild.build({
  entryPoints: [join(root, "src/index.ts")],
  outfile: join(outdir, "index.js"),
  ...WORKER_BUNDLE_OPTIONS,
  minify: !readable,
  // wrangler keeps function and class names (`keep_names`); nothing here reads them, and the
  // names cost 11 KiB gzipped. (jose names its errors after their class, `err.name`: those are
  // all caught in src/lib/jwt.ts.)
  keepNames: readable,
  sourcemap: "linked",
  sourcesContent: false,
  legalComments: "none",
  metafile: true,
  plugins: [trimmed],
});

const kib = (n) => (n / 1024).toFixed(1);
const sizes = (bytes) => `${kib(bytes.length)} KiB, ${kib(gzipSync(bytes, { level: 9 }).length)} KiB gzipped`;
const esbuilt = readFileSync(join(outdir, "index.js"));
if (!readable) {
  // A second pass with terser, for the gzipped size: it compresses what esbuild's minifier leaves
  // (150.7 to 144.1 KiB gzipped when added). Safe options only: the unsafe ones gained 0.5 KiB
  // more. esbuild's source map is its input map, so the map written still points into src/
  // (without the sources' text, as before).
  const { minify } = await import("terser");
  const out = await minify(
    { "index.js": esbuilt.toString("utf8") },
    {
      module: true,
      ecma: 2022,
      compress: { passes: 2 },
      mangle: true,
      // ASCII only, as esbuild writes it (non-ASCII characters escaped).
      format: { comments: false, ascii_only: true },
      sourceMap: { content: readFileSync(join(outdir, "index.js.map"), "utf8"), url: "index.js.map" },
    },
  );
  writeFileSync(join(outdir, "index.js"), out.code);
  writeFileSync(join(outdir, "index.js.map"), out.map);
}
console.log(`dist/worker/index.js: ${sizes(readFileSync(join(outdir, "index.js")))}`);

if (process.argv.includes("--analyze")) {
  // esbuild's metafile: each input's share of esbuild's output, before terser's pass.
  console.log(`largest inputs, minified by esbuild (before terser: ${sizes(esbuilt)}):`);
  const groups = new Map();
  for (const [file, { bytesInOutput }] of Object.entries(
    Object.entries(result.metafile.outputs).find(([f]) => f.endsWith(".js"))[1].inputs,
  )) {
    const key = process.argv.includes("--files")
      ? file
      : file.includes("node_modules/")
        ? file.replace(/.*node_modules\/((@[^/]+\/)?[^/]+)(\/v4\/[^/]+)?.*/, "$1$3")
        : file.replace(/^src\/(modules\/[^/]+|[^/]+).*/, "src/$1");
    groups.set(key, (groups.get(key) ?? 0) + bytesInOutput);
  }
  for (const [key, bytes] of [...groups]
    .sort((a, b) => b[1] - a[1])
    .slice(0, process.argv.includes("--files") ? 60 : 25)) {
    console.log(`${kib(bytes).padStart(7)} KiB  ${key}`);
  }
}
