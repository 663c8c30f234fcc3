import { TrieRouter } from "hono/router/trie-router";
import { getPath as honoGetPath } from "hono/utils/url";
import { API_PREFIX } from "./app-info";
import { type Clock, systemClock } from "./lib/clock";
import { configOf } from "./lib/config";
import { AppError, HttpErrors } from "./lib/errors";
import { errorResponse, renderError } from "./lib/http-errors";
import { MatchCache } from "./lib/match-cache";
import { RouteIndex } from "./lib/method-not-allowed";
import { refuseDuplicateAuthCookies } from "./middleware/authenticate";
import { bodyGuard } from "./middleware/body-guard";
import { provideDeps } from "./middleware/deps";
import { RateCounters, rateLimit } from "./middleware/rate-limit";
import { responseHeaders } from "./middleware/response-headers";
import { ApiRouter } from "./middleware/route";
import { accessRoutes, bootstrapAdmin } from "./modules/access";
import { auditRoutes, recordForbidden } from "./modules/audit";
import { authRoutes, FORM_POST_PATHS, linkRoutes, mfaRoutes } from "./modules/auth";
import { chatRoutes } from "./modules/chat";
import { docsRoutes } from "./modules/docs";
import { emailRoutes } from "./modules/email";
import { integrationRoutes } from "./modules/integrations";
import { learningRoutes } from "./modules/learning";
import { OAUTH_CALLBACK_PATHS, oauthRoutes } from "./modules/oauth";
import { registrationRoutes } from "./modules/registrations";
import { reportRoutes, UNSUBSCRIBE_PATH } from "./modules/reports";
import { sessionRoutes } from "./modules/sessions";
import { systemRoutes } from "./modules/system";
import { trainingRoutes } from "./modules/trainings";
import { dispatchRecordedEvents, webhookRoutes } from "./modules/webhooks";
import { serveOpenApiDocument } from "./openapi-document";

/** Largest JSON body accepted (bytes). */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Builds the Hono app: global middleware, one `route()` per module, the one `onError`/`notFound`.
 * `clock` is the one source of time for everything the app does (tests pass one they can move).
 */
export function createApp(options: { clock?: Clock } = {}): ApiRouter {
  const app = new ApiRouter({
    // The TrieRouter, which SmartRouter would settle on after RegExpRouter refuses our routes (see
    // MatchCache), without building the RegExpRouter on the first request of each isolate first.
    router: new MatchCache(new TrieRouter()),
    // FastAPI clients send trailing slashes: `/api/v1/trainings/` routes as `/api/v1/trainings`.
    getPath: (req) => {
      const path = honoGetPath(req);
      return path.length > 1 && path.endsWith("/") ? path.replace(/\/+$/, "") || "/" : path;
    },
  });

  // Request id, security headers, no-store and CORS (preflights answered there) on every response.
  app.use(
    "*",
    responseHeaders({
      apiPrefix: API_PREFIX,
      allowedOrigins: (c) => configOf(c.env).allowedOrigins,
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      allowHeaders: ["Authorization", "Content-Type", "X-Integration-Key", "X-Request-Id", "X-D1-Bookmark"],
      exposeHeaders: [
        "X-Request-Id",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
        "RateLimit-Policy",
        "RateLimit",
        "Retry-After",
        "X-D1-Bookmark",
      ],
      maxAgeSeconds: 600,
    }),
  );
  app.use("*", provideDeps({ clock: options.clock ?? systemClock, rateCounters: new RateCounters() }));
  app.use(
    `${API_PREFIX}/*`,
    bodyGuard({ maxBytes: MAX_BODY_BYTES, formPaths: FORM_POST_PATHS, anyFormPaths: [UNSUBSCRIBE_PATH] }),
  );
  app.use(`${API_PREFIX}/*`, refuseDuplicateAuthCookies());

  // Rate limits by route group, per client IP (contract, "Rate limits"); a request that no group
  // counts falls to the default per-IP limit. The hourly per-user limit is part of every guarded
  // route, and POST /users adds its per-caller limit.
  const signIn = (c: { req: { method: string; path: string } }) =>
    c.req.method === "POST" && c.req.path !== `${API_PREFIX}/auth/logout`;
  app.use(`${API_PREFIX}/auth/*`, rateLimit({ group: "auth", key: "ip", when: signIn }));
  for (const [paths, group] of [
    [["/users", "/users/*", "/admin/*"], "users"],
    [["/trainings", "/trainings/*"], "trainings"],
    [["/registrations", "/registrations/*"], "registrations"],
  ] as const) {
    for (const path of paths) app.use(`${API_PREFIX}${path}`, rateLimit({ group, key: "ip" }));
  }
  app.use(`${API_PREFIX}/*`, rateLimit({ group: "defaultIp", key: "ip", fallback: true }));

  app.use(`${API_PREFIX}/*`, bootstrapAdmin());
  // The webhook events a request records are dispatched after its response.
  app.use(`${API_PREFIX}/*`, dispatchRecordedEvents(OAUTH_CALLBACK_PATHS));

  app.route("/", systemRoutes);
  app.route("/", authRoutes);
  app.route("/", sessionRoutes);
  app.route("/", auditRoutes);
  app.route("/", accessRoutes);
  app.route("/", trainingRoutes);
  app.route("/", registrationRoutes);
  app.route("/", learningRoutes);
  app.route("/", docsRoutes);
  app.route("/", emailRoutes);
  app.route("/", linkRoutes);
  app.route("/", mfaRoutes);
  app.route("/", integrationRoutes);
  app.route("/", oauthRoutes);
  app.route("/", webhookRoutes);
  app.route("/", reportRoutes);
  app.route("/", chatRoutes);

  const routeIndex = new RouteIndex(() => app.routes);
  app.notFound((c) => {
    const allowed = routeIndex.allowedMethods(c.req.path);
    if (allowed.length > 0) {
      return errorResponse(c, HttpErrors.METHOD_NOT_ALLOWED(c.req.method, allowed));
    }
    return errorResponse(c, HttpErrors.NOT_FOUND(c.req.path));
  });
  app.onError(async (thrown, c) => {
    // drizzle wraps what the D1 layer throws (a token refused in the request's first round trip)
    // in its own query error: answer the error itself.
    const err = thrown instanceof Error && thrown.cause instanceof AppError ? thrown.cause : thrown;
    // Every 403 is recorded in the audit trail, with the caller when it is known.
    if (err instanceof AppError && err.status === 403) {
      await recordForbidden(c.get("deps"), c.get("auth")?.userId ?? null, `${c.req.method} ${c.req.path}: ${err.code}`);
    }
    return renderError(err, c);
  });

  serveOpenApiDocument(app);
  return app;
}

export const app = createApp();
