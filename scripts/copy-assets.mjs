// Copies the Swagger UI and ReDoc bundles from node_modules into public/docs-assets/vendor, where
// Workers static assets serve them (so /docs and /redoc work offline and add nothing to the bundle).
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const out = new URL("../public/docs-assets/vendor/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });
const swagger = dirname(require.resolve("swagger-ui-dist/package.json"));
const redoc = dirname(require.resolve("redoc/package.json"));
for (const [dir, file] of [
  [swagger, "swagger-ui-bundle.js"],
  [swagger, "swagger-ui.css"],
  [join(redoc, "bundles"), "redoc.standalone.js"],
]) {
  copyFileSync(join(dir, file), join(out, file));
}
