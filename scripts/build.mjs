#!/usr/bin/env node
// `npm run build`: bundles the Worker for deployment into dist/worker/index.js (+ its source map),
// the way wrangler would (esbuild, ES module, minified, names kept, `node:*`/`cloudflare:*` left to
// the runtime), plus what wrangler's bundler cannot do because it takes no esbuild plugins: code
// that the deployed Worker never runs is left out of the bundle (see `trimmed` below). `npm run
// deploy` uploads this file as it is (`wrangler deploy --no-bundle`); `npm run dev` and the tests run
// src/ directly, unchanged.
//
//   node scripts/build.mjs            build, print the size
//   node scripts/build.mjs --analyze  also print the largest inputs (esbuild's metafile)
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";

const root = new URL("..", import.meta.url).pathname;
const require = createRequire(import.meta.url);
// The esbuild that wrangler itself bundles with: no extra dependency, the same version.
const esbuild = createRequire(require.resolve("wrangler/package.json"))("esbuild");
const outdir = join(root, "dist/worker");
const zodDir = dirname(require.resolve("zod/package.json"));

/**
 * Modules replaced in the deployed bundle; each replacement keeps the behaviour the Worker uses.
 * - zod's message locales: `@hono/zod-openapi` imports zod's `z` namespace, which re-exports every
 *   locale (`z.locales`), so all ~45 end up in the bundle. The API configures English only (zod's
 *   default, set by `zod/v4/classic/external.js` itself), so only `en` is kept.
 * - zod's `fromJSONSchema` (builds zod schemas from JSON Schema) and `z.compile` (a JIT compiler
 *   that needs `new Function`, which Workers forbid; zod itself turns it off on Workers): never
 *   called; each export becomes a function that throws if it ever is.
 */
const trimmed = {
  name: "trim-unused",
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: join(zodDir, "v4/locales"),
      loader: "js",
    }));
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/](classic[\\/]from-json-schema|core[\\/]compile)\.js$/ }, (args) => ({
      contents: throwingStubOf(args.path),
      loader: "js",
    }));
  },
};

/** A module with the same exports as `path`, each a function that throws when called. */
function throwingStubOf(path) {
  const source = readFileSync(path, "utf8");
  const names = [...source.matchAll(/^export (?:async )?(?:function\*?|class|const|let|var) (\w+)/gm)].map((m) => m[1]);
  const body = names.map((n) => `export function ${n}() { throw new Error("${n}: not in the deployed bundle"); }`);
  return body.join("\n");
}

mkdirSync(outdir, { recursive: true });
const result = await esbuild.build({
  entryPoints: [join(root, "src/index.ts")],
  outfile: join(outdir, "index.js"),
  bundle: true,
  format: "esm",
  target: "es2024",
  platform: "neutral",
  mainFields: ["browser", "module", "main"],
  conditions: ["workerd", "worker", "browser"],
  external: ["node:*", "cloudflare:*"],
  minify: true,
  keepNames: true,
  sourcemap: "linked",
  sourcesContent: false,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  plugins: [trimmed],
});

const bundle = readFileSync(join(outdir, "index.js"));
const kib = (n) => (n / 1024).toFixed(1);
console.log(
  `dist/worker/index.js: ${kib(bundle.length)} KiB, ${kib(gzipSync(bundle, { level: 9 }).length)} KiB gzipped`,
);

if (process.argv.includes("--analyze")) {
  const groups = new Map();
  for (const [file, { bytesInOutput }] of Object.entries(
    Object.entries(result.metafile.outputs).find(([f]) => f.endsWith(".js"))[1].inputs,
  )) {
    const key = file.includes("node_modules/")
      ? file.replace(/.*node_modules\/((@[^/]+\/)?[^/]+)(\/v4\/[^/]+)?.*/, "$1$3")
      : file.replace(/^src\/(modules\/[^/]+|[^/]+).*/, "src/$1");
    groups.set(key, (groups.get(key) ?? 0) + bytesInOutput);
  }
  for (const [key, bytes] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    console.log(`${kib(bytes).padStart(7)} KiB  ${key}`);
  }
}
