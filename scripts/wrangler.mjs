#!/usr/bin/env node
// Runs the project's wrangler. Its launcher refuses Node < 22.12, but the CLI itself runs on the
// Node 20 that these machines have, so call the CLI directly with the same flags the launcher uses.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const cli = join(dirname(require.resolve("wrangler/package.json")), "wrangler-dist", "cli.js");
const result = spawnSync(process.execPath, ["--no-warnings", cli, ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(result.status ?? 1);
