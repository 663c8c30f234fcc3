import { createRouter } from "../../middleware/route";

/** Assets are served by Workers static assets from `public/docs-assets` (see `npm run assets`). */
const ASSETS = "/docs-assets";

/** CSP of the docs pages: their scripts and styles come from this origin only. */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Swagger UI and ReDoc set inline styles; ReDoc runs its search in a blob worker.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

const swaggerPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Identity &amp; Training API · Docs</title>
<link rel="stylesheet" href="${ASSETS}/vendor/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${ASSETS}/vendor/swagger-ui-bundle.js"></script>
<script src="${ASSETS}/swagger-init.js"></script>
</body>
</html>`;

const redocPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Identity &amp; Training API · ReDoc</title>
</head>
<body>
<redoc spec-url="/openapi.json"></redoc>
<script src="${ASSETS}/vendor/redoc.standalone.js"></script>
</body>
</html>`;

/** `GET /docs` (Swagger UI) and `GET /redoc` (ReDoc), both reading `/openapi.json`, offline. */
export const docsRoutes = createRouter()
  .get("/docs", (c) => c.html(swaggerPage, 200, { "Content-Security-Policy": DOCS_CSP }))
  .get("/redoc", (c) => c.html(redocPage, 200, { "Content-Security-Policy": DOCS_CSP }));
