import { createRoute, OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { API_PREFIX } from "../app-info";
import type { AppEnv } from "../env";
import { hasAnyScope, type Scope, scopeOf } from "../lib/access";
import { HttpErrors } from "../lib/errors";
import { bearerSecurity, errors } from "../lib/openapi";
import type { Permission } from "../lib/permissions";
import { validationHook } from "../lib/validation";
import { authenticate } from "./authenticate";
import { rateLimit } from "./rate-limit";

/** A new router whose request validation failures answer the contract's 422. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

/**
 * Who may call a route, stated where it is declared:
 * - `permission` alone (scope `"global"`): the permission(s), held through a global role; else 403.
 * - scope `"organization"`: the permission held globally, through a role of an organization, or as an
 *   admin of one (for `ORG_ADMIN_PERMISSIONS`); 403 for a caller with none of these. The service gets
 *   `c.get("scope")` and confines the caller to its organizations unless `scope.global`.
 * - scope `"own"`: any signed-in user, on its own objects; the permission (`scope.global`) extends it to
 *   everyone's. The service gets `c.get("scope")` and applies it per object.
 * - `permission: "authenticated"`: any signed-in user, on itself only (its profile, its password).
 */
export type Access =
  | { permission: "authenticated"; scope?: undefined }
  | { permission: Permission | readonly Permission[]; scope?: "global" }
  | { permission: Permission; scope: "organization" | "own" };

const list = (p: Permission | readonly Permission[]) => (typeof p === "string" ? [p] : [...p]);
const names = (p: Permission | readonly Permission[]) =>
  list(p)
    .map((x) => `\`${x}\``)
    .join(" and ");

/** The sentence the docs show for a route's access rule. */
export function describeAccess(access: Access): string {
  if (access.permission === "authenticated") return "Any signed-in user, for itself.";
  switch (access.scope) {
    case "organization":
      return `Requires ${names(access.permission)}, held globally or within the organization concerned (organization admins act on their own organizations).`;
    case "own":
      return `Any signed-in user on its own objects; ${names(access.permission)} extends it to everyone's.`;
    default:
      return `Requires ${names(access.permission)}.`;
  }
}

/** Checks `access` after `authenticate()` and resolves `c.get("scope")`. */
function authorize(access: Access): MiddlewareHandler<AppEnv> {
  return function authorizeMiddleware(c, next) {
    if (access.permission === "authenticated") return next();
    const auth = c.get("auth");
    let scope: Scope;
    if (access.scope === "organization" || access.scope === "own") {
      scope = scopeOf(auth, access.permission);
      if (access.scope === "organization" && !hasAnyScope(scope)) throw HttpErrors.FORBIDDEN();
    } else {
      const required = list(access.permission);
      if (!required.every((p) => auth.permissions.has(p))) throw HttpErrors.FORBIDDEN();
      scope = { permission: required[0] as Permission, global: true, orgIds: [] };
    }
    c.set("scope", scope);
    return next();
  };
}

/**
 * The error responses every route of this shape can give, so that no route documents them by hand
 * (429: every route under the API prefix is rate limited).
 */
function implicitErrors(route: RouteConfig, guarded: boolean) {
  const hasBody = route.request?.body !== undefined;
  const hasInput = hasBody || route.request?.params !== undefined || route.request?.query !== undefined;
  return {
    ...(guarded ? errors(401, 403) : {}),
    ...(hasBody ? errors(400, 413, 415) : {}),
    ...(hasInput ? errors(422) : {}),
    ...(route.path.startsWith(API_PREFIX) ? errors(429) : {}),
  };
}

function withMiddleware(route: RouteConfig, first: MiddlewareHandler<AppEnv>[]) {
  const own = route.middleware ? (Array.isArray(route.middleware) ? route.middleware : [route.middleware]) : [];
  return [...first, ...own] as MiddlewareHandler[];
}

/**
 * `createRoute()` for a public route: documents the errors its request shape can give (400, 413, 415
 * and 422 for a body; 422 for params or query) besides those it lists.
 *
 * @example
 *   router.openapi(publicRoute({ method: "post", path: "/auth/login", request: { body: jsonBody(LoginBody) }, responses }), handler)
 */
export function publicRoute<R extends RouteConfig>(route: R) {
  return createRoute({ ...route, responses: { ...implicitErrors(route, false), ...route.responses } } as R);
}

/** Every signed-in caller's hourly limit (contract, "Rate limits"), counted on every guarded route. */
const perUserHourly = rateLimit({ group: "defaultUserHourly", key: "user" });

/**
 * `createRoute()` for a protected route: `authenticate()` and the access check run before the handler,
 * and the docs state the rule (in the description and as `x-permission`), the security requirement and
 * the 401/403 responses. Every protected route is declared this way, so none can forget its check.
 *
 * @example
 *   router.openapi(guardedRoute({ method: "post", path: "/roles", permission: "roles:create", scope: "organization", ... }), handler)
 */
export function guardedRoute<R extends RouteConfig>(config: R & Access) {
  const { permission, scope, ...route } = config;
  const access = { permission, scope } as Access;
  const rule = describeAccess(access);
  return createRoute({
    ...route,
    description: route.description ? `${rule} ${route.description}` : rule,
    // Any signed-in caller passes an "authenticated" route: no access check to run.
    middleware: withMiddleware(
      route as RouteConfig,
      permission === "authenticated"
        ? [authenticate(), perUserHourly]
        : [authenticate(), perUserHourly, authorize(access)],
    ),
    security: bearerSecurity,
    responses: { ...implicitErrors(route as RouteConfig, true), ...route.responses },
    "x-permission": permission === "authenticated" ? undefined : list(permission),
    "x-scope": permission === "authenticated" ? "self" : (scope ?? "global"),
  } as unknown as R);
}
