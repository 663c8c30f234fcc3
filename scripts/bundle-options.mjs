// How a Worker is bundled for deployment, as wrangler would: an ES module for workerd, with
// `node:*`/`cloudflare:*` left to the runtime. Shared by scripts/build.mjs (the API) and
// bench/run.mjs (the ceiling Worker it is compared with, bundled the same way).
export const WORKER_BUNDLE_OPTIONS = {
  bundle: true,
  format: "esm",
  target: "es2024",
  platform: "neutral",
  mainFields: ["browser", "module", "main"],
  conditions: ["workerd", "worker", "browser"],
  external: ["node:*", "cloudflare:*"],
  logLevel: "warning",
};
