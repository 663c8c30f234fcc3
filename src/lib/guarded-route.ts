import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { authenticate } from "../middleware/authenticate";
import { requirePermission } from "../middleware/require-permission";
import { bearerSecurity, errors } from "./openapi";
import type { Permission } from "./permissions";

type GuardedConfig<R extends RouteConfig> = R & {
  /**
   * The permission the route requires, or `"authenticated"` for self-service routes that any
   * signed-in user may call (their service then confines them to their own objects).
   */
  permission: Permission | Permission[] | "authenticated";
};

/**
 * `createRoute()` for protected routes: adds `authenticate()` and `requirePermission()` in front of
 * the handler, the security requirement and the 401/403 responses to the OpenAPI document. Every
 * protected route is declared this way, so none can forget its check.
 *
 * @example
 *   router.openapi(guardedRoute({ method: "post", path: "/trainings", permission: "trainings:create", ... }), handler)
 */
export function guardedRoute<R extends RouteConfig>(config: GuardedConfig<R>) {
  const { permission, ...route } = config;
  const middleware: MiddlewareHandler<AppEnv>[] = [authenticate()];
  if (permission !== "authenticated") {
    middleware.push(requirePermission(...(Array.isArray(permission) ? permission : [permission])));
  }
  const extra = route.middleware ? (Array.isArray(route.middleware) ? route.middleware : [route.middleware]) : [];
  return createRoute({
    ...route,
    middleware: [...middleware, ...extra] as MiddlewareHandler[],
    security: bearerSecurity,
    responses: { ...errors(401, 403), ...route.responses },
  } as unknown as R);
}
