import { zValidator } from "@hono/zod-validator";
import type { Handler, MiddlewareHandler } from "hono";
import { HonoBase, type HonoOptions } from "hono/hono-base";
import { HTTPException } from "hono/http-exception";
import { TrieRouter } from "hono/router/trie-router";
import type * as z from "zod/mini";
import type { AppEnv } from "../env";
import { hasAnyScope, type Scope, scopeOf } from "../lib/access";
import { HttpErrors } from "../lib/errors";
import { isJsonMediaType, mediaTypeOf } from "../lib/media-type";
import type { Permission } from "../lib/permissions";
import { validationHook } from "../lib/validation";
import { authenticate } from "./authenticate";
import { hasBody } from "./body-guard";
import { rateLimit } from "./rate-limit";

const JSON_TYPE = "application/json";
const FORM_TYPE = "application/x-www-form-urlencoded";

/** A schema in the docs that zod does not describe (an HTML page, a CSV file). */
export interface PlainSchema {
  type: "string";
}

export interface BodyConfig {
  required?: boolean;
  description?: string;
  content: { [JSON_TYPE]?: { schema: z.ZodMiniType }; [FORM_TYPE]?: { schema: z.ZodMiniType } };
}

export interface ResponseConfig {
  description: string;
  content?: Record<string, { schema: z.ZodMiniType | PlainSchema }>;
}

/**
 * A route: what routing and validation use (method, path, request schemas, middleware) and what the
 * OpenAPI document shows (src/openapi-document.ts reads every registered route's config).
 */
export interface RouteConfig {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** With `{name}` path parameters, as the docs show them. */
  path: string;
  tags?: string[];
  summary?: string;
  description?: string;
  request?: { params?: z.ZodMiniObject; query?: z.ZodMiniObject; body?: BodyConfig };
  responses: Record<number, ResponseConfig>;
  middleware?: MiddlewareHandler<AppEnv> | MiddlewareHandler<AppEnv>[];
  /** Who may call it (set by `guardedRoute()`; none: public). */
  access?: Access;
}

type NoInput = Record<never, never>;

type Validated<R extends RouteConfig> = (R["request"] extends { params: infer P extends z.ZodMiniType }
  ? { param: z.output<P> }
  : NoInput) &
  (R["request"] extends { query: infer Q extends z.ZodMiniType } ? { query: z.output<Q> } : NoInput) &
  (R["request"] extends { body: { content: { [JSON_TYPE]: { schema: infer B extends z.ZodMiniType } } } }
    ? { json: z.output<B> }
    : NoInput) &
  (R["request"] extends { body: { content: { [FORM_TYPE]: { schema: infer F extends z.ZodMiniType } } } }
    ? { form: z.output<F> }
    : NoInput);

/** The handler of route `R`: `c.req.valid(...)` gives what its request schemas parsed. */
export type RouteHandler<R extends RouteConfig, E extends AppEnv = AppEnv> = Handler<E, string, { out: Validated<R> }>;

/** Each registered handler's route, for the docs (read with `routeConfigOf`). */
const CONFIGS = new WeakMap<object, RouteConfig>();

/** The route config a handler of `app.routes` was registered with, if any. */
export const routeConfigOf = (handler: object): RouteConfig | undefined => CONFIGS.get(handler);

/**
 * Whether a request's `Content-Type` is one the route's `type` takes: for JSON, `application/json` and
 * every `application/<x>+json` (`application/merge-patch+json`), as `bodyGuard` and the body
 * validator take them.
 */
function isOfType(contentType: string, type: string): boolean {
  const essence = mediaTypeOf(contentType);
  return type === JSON_TYPE ? isJsonMediaType(essence) : essence === type;
}

/**
 * A body whose media type the route does not take is 415, before it is read. Where the body is
 * optional, an empty one with no type is no body (`hasBody`, as `bodyGuard` counts it); where it is
 * required, any body stream without a type is refused.
 */
function mediaTypeGate(types: string[], optional: boolean): MiddlewareHandler<AppEnv> {
  return async function mediaTypeGate(c, next) {
    const type = c.req.header("content-type");
    const sent = optional ? hasBody(c) : c.req.raw.body !== null;
    if (type ? !types.some((t) => isOfType(type, t)) : sent) {
      throw new HTTPException(415, { message: "Unsupported Media Type" });
    }
    await next();
  };
}

/**
 * The validators of `request`, in this order: query, path parameters, body (each failure a 422 by
 * `validationHook`). A body that is not `required` is validated only when sent with its media type
 * (`c.req.valid(...)` is then `{}` for the others).
 */
function validatorsOf(request: RouteConfig["request"]): MiddlewareHandler[] {
  const out: MiddlewareHandler[] = [];
  if (request?.query) out.push(zValidator("query", request.query, validationHook));
  if (request?.params) out.push(zValidator("param", request.params, validationHook));
  const body = request?.body;
  if (!body) return out;
  const types = Object.keys(body.content);
  out.push(mediaTypeGate(types, !body.required));
  for (const [type, target] of [
    [JSON_TYPE, "json"],
    [FORM_TYPE, "form"],
  ] as const) {
    const schema = body.content[type]?.schema;
    if (!schema) continue;
    const validate = zValidator(target, schema, validationHook);
    out.push(
      body.required
        ? validate
        : async (c, next) => {
            if (isOfType(c.req.header("content-type") ?? "", type)) return validate(c, next);
            c.req.addValidatedData(target, {});
            await next();
          },
    );
  }
  return out;
}

/**
 * A router of the API: `openapi(route, handler)` registers a route with its middleware and request
 * validators, and keeps its config for the docs. A module's router only lists routes, which the app
 * copies (`app.route()`): it routes with the TrieRouter unless given another (Hono's default, the
 * SmartRouter with the RegExpRouter, would only weigh on the bundle).
 */
export class ApiRouter extends HonoBase<AppEnv> {
  constructor(options: HonoOptions<AppEnv> = {}) {
    super(options);
    this.router = options.router ?? new TrieRouter();
  }

  openapi<R extends RouteConfig>(route: R, handler: RouteHandler<R>): this {
    const own = route.middleware ? (Array.isArray(route.middleware) ? route.middleware : [route.middleware]) : [];
    // A handler of its own per registration, so that a handler shared by two routes (PUT and PATCH)
    // still tells the docs which route it serves.
    const last: Handler<AppEnv> = (c, next) => (handler as Handler<AppEnv>)(c, next);
    CONFIGS.set(last, route);
    const handlers = [...own, ...validatorsOf(route.request), last] as [Handler<AppEnv>];
    this.on(route.method.toUpperCase(), route.path.replaceAll(/\/{(.+?)}/g, "/:$1"), ...handlers);
    return this;
  }
}

/** A new router whose request validation failures answer the contract's 422. */
export function createRouter(): ApiRouter {
  return new ApiRouter();
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

/** The permissions `p` names. */
export const permissionList = (p: Permission | readonly Permission[]) => (typeof p === "string" ? [p] : [...p]);

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
      const required = permissionList(access.permission);
      if (!required.every((p) => auth.permissions.has(p))) throw HttpErrors.FORBIDDEN();
      scope = { permission: required[0] as Permission, global: true, orgIds: [] };
    }
    c.set("scope", scope);
    return next();
  };
}

function withMiddleware(route: RouteConfig, first: MiddlewareHandler<AppEnv>[]) {
  const own = route.middleware ? (Array.isArray(route.middleware) ? route.middleware : [route.middleware]) : [];
  return [...first, ...own] as MiddlewareHandler[];
}

/**
 * A public route (the docs add the errors its request shape can give: 400, 413, 415 and 422 for a
 * body; 422 for params or query; 429 under the API prefix).
 *
 * @example
 *   router.openapi(publicRoute({ method: "post", path: "/auth/login", request: { body: jsonBody(LoginBody) }, responses }), handler)
 */
export function publicRoute<R extends RouteConfig>(route: R): R {
  return route;
}

/** Every signed-in caller's hourly limit (contract, "Rate limits"), counted on every guarded route. */
const perUserHourly = rateLimit({ group: "defaultUserHourly", key: "user" });

/**
 * A protected route: `authenticate()` and the access check run before the handler, and the docs
 * state the rule (in the description and as `x-permission`), the security requirement and the
 * 401/403 responses (src/openapi-document.ts, from `access`). Every protected route is declared this
 * way, so none can forget its check.
 *
 * @example
 *   router.openapi(guardedRoute({ method: "post", path: "/roles", permission: "roles:create", scope: "organization", ... }), handler)
 */
export function guardedRoute<R extends RouteConfig>(config: R & Access) {
  const { permission, scope, ...route } = config;
  const access = { permission, scope } as Access;
  return {
    ...route,
    access,
    // Any signed-in caller passes an "authenticated" route: no access check to run.
    middleware: withMiddleware(
      route as RouteConfig,
      permission === "authenticated"
        ? [authenticate(), perUserHourly]
        : [authenticate(), perUserHourly, authorize(access)],
    ),
  } as unknown as R;
}
