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
//   node scripts/build.mjs --readable into dist/profile/ instead, unminified (for bench/profile.mjs)
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { WORKER_BUNDLE_OPTIONS } from "./bundle-options.mjs";

const root = new URL("..", import.meta.url).pathname;
const ts = (await import("typescript")).default;
const require = createRequire(import.meta.url);
// The esbuild that wrangler itself bundles with: no extra dependency, the same version.
const esbuild = createRequire(require.resolve("wrangler/package.json"))("esbuild");
const readable = process.argv.includes("--readable");
const outdir = join(root, readable ? "dist/profile" : "dist/worker");

/**
 * Modules replaced in the deployed bundle; each replacement keeps the behaviour the Worker uses.
 * - the OpenAPI document: generated here, at build time, from the same app (`generateDocument`), and
 *   served from the static assets by `src/openapi-document.deployed.ts`, which takes the place of
 *   `src/openapi-document.ts` (the generator, and zod's JSON Schema conversion with it).
 * - what only that document reads is left out of our sources: `withoutDocumentation`.
 */
const trimmed = {
  name: "trim-unused",
  setup(build) {
    build.onResolve({ filter: /^\.\/openapi-document$/ }, (args) => ({
      path: join(args.resolveDir, "openapi-document.deployed.ts"),
    }));
    build.onLoad({ filter: DRIZZLE_UNUSED }, (args) => ({ contents: throwingStubOf(args.path), loader: "js" }));
    build.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => ({
      contents: withoutDocumentation(readFileSync(args.path, "utf8"), args.path),
      loader: "ts",
    }));
  },
};

/**
 * drizzle's relational queries (`db.query.<table>.findMany()`, with the relations of a schema given to
 * `drizzle()`): ours are built with the query builder and SQL, and `drizzle()` gets no schema, so
 * these modules' code never runs (only the relational query methods of the SQLite dialect name them).
 */
const DRIZZLE_UNUSED = /[\\/]drizzle-orm[\\/](relations|sqlite-core[\\/]query-builders[\\/]query)\.js$/;

/**
 * A module with the same exports as `path`, each a function that throws when called; `create...`
 * exports return such a function instead.
 */
function throwingStubOf(path) {
  const source = readFileSync(path, "utf8");
  const names = [
    ...[...source.matchAll(/^export (?:async )?(?:function\*?|class|const|let|var) (\w+)/gm)].map((m) => m[1]),
    ...[...source.matchAll(/^export \{([^}]*)\}/gm)].flatMap((m) =>
      m[1]
        .split(",")
        .map((name) =>
          name
            .trim()
            .split(/\s+as\s+/)
            .pop(),
        )
        .filter(Boolean),
    ),
  ];
  if (names.length === 0) throw new Error(`${path}: no exports found; update scripts/build.mjs`);
  const body = names.map((n) =>
    n.startsWith("create")
      ? `export function ${n}() { return () => fail("${n}"); }`
      : `export function ${n}() { fail("${n}"); }`,
  );
  return `function fail(name) { throw new Error(name + ": not in the deployed bundle"); }\n${body.join("\n")}`;
}

/**
 * Route definitions, and the properties of theirs that only the OpenAPI document reads
 * (`src/middleware/route.ts` reads none of them when routing or validating; the response schemas
 * themselves stay, as modules export them).
 */
const ROUTE_DEFINERS = new Set(["guardedRoute", "publicRoute"]);
const DOCUMENTATION_ONLY = new Set(["summary", "description", "responses", "tags"]);
/** `doc(schema, {...})` and `named(schema, "Name", {...})` (src/lib/openapi.ts): documentation only. */
const SCHEMA_DOCUMENTERS = new Set(["doc", "named"]);

/**
 * `text` (a source file) without what only the OpenAPI document reads, which the deployed Worker
 * serves from the assets: the `DOCUMENTATION_ONLY` properties of route definitions, and the schemas'
 * documentation: `doc(schema, {...})` and `named(schema, "Name", {...})` become `schema` (only calls
 * whose other arguments are all string or object literals). What goes is overwritten with spaces
 * (line breaks kept), so that every line and column that stays is where it was and the source map
 * stays exact.
 */
function withoutDocumentation(text, fileName) {
  if (!text.includes("Route(") && !text.includes("doc(") && !text.includes("named(")) return text;
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const cuts = [];
  const visit = (node) => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
      const name = node.expression.text;
      const [first, ...rest] = node.arguments;
      if (ROUTE_DEFINERS.has(name) && first && ts.isObjectLiteralExpression(first)) {
        for (const property of first.properties) {
          const key = property.name && ts.isIdentifier(property.name) ? property.name.text : undefined;
          if (ts.isPropertyAssignment(property) && DOCUMENTATION_ONLY.has(key)) {
            let end = property.end;
            while (/\s/.test(text[end] ?? "")) end += 1;
            cuts.push([property.getStart(source), text[end] === "," ? end + 1 : property.end]);
          }
        }
      }
      if (
        SCHEMA_DOCUMENTERS.has(name) &&
        first &&
        rest.length > 0 &&
        rest.every((a) => ts.isStringLiteral(a) || ts.isObjectLiteralExpression(a))
      ) {
        // `doc(` and `, {...})` go; the schema between them stays.
        cuts.push([node.getStart(source), first.getStart(source)], [first.end, node.end]);
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

/**
 * The OpenAPI document of the app as `src/openapi-document.ts` generates it (with a placeholder
 * origin in `servers`, replaced per request), written to public/docs-assets/openapi.json.
 */
async function generateDocument() {
  const entry = join(root, "dist/openapi-generator.mjs");
  await esbuild.build({
    stdin: {
      contents: `import { createApp } from "./src/app";
import { documentFields, openApiDocument } from "./src/openapi-document";
export default openApiDocument(createApp(), documentFields("https://api.example.com"));`,
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
  // all caught in src/lib/jwt.ts.) Not for --readable either: unminified, V8 names functions from
  // their declarations, and esbuild's `__name()` runs for every closure made, per request, which was
  // ~15% of `hello` in the profile (work the deployed bundle does not do).
  keepNames: false,
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
