import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { forbidden, unauthorized } from "../lib/errors";
import type { Permission } from "../lib/permissions";

/**
 * Lets the request through only when the authenticated caller holds every named permission
 * (through any of its current global roles). Place after `authenticate()`.
 * Organization-scoped checks (a permission held within one organization) are made by the services
 * with `canInOrg()`, since they need the object's organization.
 *
 * @example
 *   createRoute({ ..., middleware: [authenticate(), requirePermission("trainings:create")] })
 */
export function requirePermission(...required: Permission[]): MiddlewareHandler<AppEnv> {
  return async function requirePermissionMiddleware(c, next) {
    const auth = c.get("auth");
    if (!auth) throw unauthorized("Not authenticated");
    for (const p of required) {
      if (!auth.permissions.has(p)) throw forbidden();
    }
    return next();
  };
}
