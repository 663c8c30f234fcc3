import type { Hono } from "hono";
import * as z from "zod/mini";
import { API_PREFIX, API_VERSION } from "./app-info";
import type { AppEnv } from "./env";
import { errors, schemaDocs } from "./lib/openapi";
import type { Permission } from "./lib/permissions";
import { type Access, permissionList, type RouteConfig, routeConfigOf } from "./middleware/route";

type JsonSchema = Record<string, unknown>;

const COMPONENT = "#/components/schemas/";
const BOUNDS = new Set(["minimum", "maximum"]);

/**
 * The OpenAPI document's own fields; `paths` and `components` come from the routes' definitions.
 * `servers` is the origin the document is read from.
 */
export function documentFields(origin: string) {
  return {
    openapi: "3.1.0",
    info: {
      title: "Identity & Training API",
      version: API_VERSION,
      description:
        'Identity, access control and training administration. Errors are `{detail, status: "error", code}`; validation errors are 422 with `detail` a list of `{loc, msg, type}`.',
    },
    servers: [{ url: origin }],
  };
}

const SECURITY_SCHEMES = {
  bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
  cookieAuth: { type: "apiKey", in: "cookie", name: "access_token" },
};

/** Security requirement of the routes behind `authenticate()` (`guardedRoute()`). */
const BEARER_SECURITY = [{ bearerAuth: [] }, { cookieAuth: [] }];

/** `p`'s permission keys as the docs quote them: "`a` and `b`". */
const quoted = (p: Permission | readonly Permission[]) =>
  permissionList(p)
    .map((x) => `\`${x}\``)
    .join(" and ");

/** The sentence the docs show for a route's access rule. */
function describeAccess(access: Access): string {
  if (access.permission === "authenticated") return "Any signed-in user, for itself.";
  switch (access.scope) {
    case "organization":
      return `Requires ${quoted(access.permission)}, held globally or within the organization concerned (organization admins act on their own organizations).`;
    case "own":
      return `Any signed-in user on its own objects; ${quoted(access.permission)} extends it to everyone's.`;
    default:
      return `Requires ${quoted(access.permission)}.`;
  }
}

/**
 * The error responses every route of this shape can give, so that no route documents them by hand
 * (429: every route under the API prefix is rate limited).
 */
function implicitErrors(route: RouteConfig) {
  const hasBody = route.request?.body !== undefined;
  const hasInput = hasBody || route.request?.params !== undefined || route.request?.query !== undefined;
  return {
    ...(route.access ? errors(401, 403) : {}),
    ...(hasBody ? errors(400, 413, 415) : {}),
    ...(hasInput ? errors(422) : {}),
    ...(route.path.startsWith(API_PREFIX) ? errors(429) : {}),
  };
}

/** What the docs show of a route's access rule: none for a public route. */
function accessFields(route: RouteConfig) {
  const { access } = route;
  if (!access) return { ...(route.description ? { description: route.description } : {}) };
  const rule = describeAccess(access);
  return {
    description: route.description ? `${rule} ${route.description}` : rule,
    security: BEARER_SECURITY,
    ...(access.permission === "authenticated" ? {} : { "x-permission": permissionList(access.permission) }),
    "x-scope": access.permission === "authenticated" ? "self" : (access.scope ?? "global"),
  };
}

const isZod = (schema: unknown): schema is z.ZodMiniType =>
  typeof schema === "object" && schema !== null && "_zod" in schema;

/**
 * JSON Schemas of `schemas` (as requests send them, or as responses give them: `io`), with each
 * schema named by `named()` a `$ref` to its component; the components come back under their names.
 * A conversion of zod's registry form (`z.toJSONSchema(registry)`), with the operations' own schemas
 * entered under placeholder names and inlined back.
 */
function convert(schemas: z.ZodMiniType[], io: "input" | "output") {
  const registry = z.registry<{ id: string }>();
  const names = new Map<string, z.ZodMiniType>();
  for (const [id, schema] of schemaDocs._idmap) {
    registry.add(schema, { id });
    names.set(id, schema as z.ZodMiniType);
  }
  const placeholders = new Map<z.ZodMiniType, string>();
  for (const schema of schemas) {
    if (registry.has(schema) || placeholders.has(schema)) continue;
    const id = `~${placeholders.size}`;
    placeholders.set(schema, id);
    registry.add(schema, { id });
  }
  const out = z.toJSONSchema(registry, {
    metadata: schemaDocs,
    io,
    unrepresentable: "any",
    uri: (id) => `${COMPONENT}${id}`,
    // zod says an object's output has no other keys (parsing strips them), but responses are not
    // parsed: only a strict object promises that, as requests are told.
    override: ({ zodSchema, jsonSchema }) => {
      if (
        io === "output" &&
        zodSchema._zod.def.type === "object" &&
        !(zodSchema as z.ZodMiniObject)._zod.def.catchall
      ) {
        delete jsonSchema.additionalProperties;
      }
    },
  }).schemas as Record<string, JsonSchema>;
  // An operation's schema used inside another schema is inlined there too; each schema's `$schema`
  // and `$id` (its placeholder URI) go, as the OpenAPI document states the dialect, and so do the
  // safe-integer bounds zod gives every integer (noise on every id).
  const inline = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(inline);
    if (typeof value !== "object" || value === null) return value;
    const ref = (value as JsonSchema).$ref;
    if (typeof ref === "string" && ref.startsWith(`${COMPONENT}~`)) return inline(out[ref.slice(COMPONENT.length)]);
    const copy: JsonSchema = {};
    for (const [key, v] of Object.entries(value)) {
      if (
        key === "$schema" ||
        key === "$id" ||
        (BOUNDS.has(key) && Math.abs(v as number) === Number.MAX_SAFE_INTEGER)
      ) {
        continue;
      }
      copy[key] = inline(v);
    }
    return copy;
  };
  const schemaOf = (schema: z.ZodMiniType) => {
    const id = registry.get(schema)?.id as string;
    return names.has(id) ? { $ref: `${COMPONENT}${id}` } : (inline(out[id]) as JsonSchema);
  };
  const components = Object.fromEntries([...names.keys()].map((id) => [id, inline(out[id]) as JsonSchema]));
  return { schemaOf, components };
}

/** The component names `schema` refers to, with those their components refer to. */
function referenced(schema: unknown, components: Record<string, JsonSchema>, into = new Set<string>()) {
  if (Array.isArray(schema)) for (const v of schema) referenced(v, components, into);
  else if (typeof schema === "object" && schema !== null) {
    const ref = (schema as JsonSchema).$ref;
    if (typeof ref === "string" && ref.startsWith(COMPONENT)) {
      const id = ref.slice(COMPONENT.length);
      if (!into.has(id)) {
        into.add(id);
        referenced(components[id], components, into);
      }
    }
    for (const v of Object.values(schema)) referenced(v, components, into);
  }
  return into;
}

/** OpenAPI parameters from an object schema of path parameters or query fields. */
function parametersOf(schema: JsonSchema, where: "path" | "query") {
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries((schema.properties as Record<string, JsonSchema>) ?? {}).map(([name, property]) => ({
    schema: property,
    required: where === "path" || required.has(name),
    ...(property.description ? { description: property.description } : {}),
    name,
    in: where,
  }));
}

/** The OpenAPI document of `app`'s routes (those registered through `ApiRouter.openapi`). */
export function openApiDocument(app: Hono<AppEnv>, fields: ReturnType<typeof documentFields>) {
  const routes: RouteConfig[] = [];
  for (const { handler } of app.routes) {
    const route = routeConfigOf(handler);
    if (route && !routes.includes(route)) routes.push(route);
  }
  const requestSchemas = routes.flatMap(({ request }) => [
    ...(request?.params ? [request.params] : []),
    ...(request?.query ? [request.query] : []),
    ...Object.values(request?.body?.content ?? {}).map((c) => c.schema),
  ]);
  const responseSchemas = routes.flatMap(({ responses }) =>
    Object.values(responses).flatMap((r) =>
      Object.values(r.content ?? {}).flatMap((c) => (isZod(c.schema) ? [c.schema] : [])),
    ),
  );
  const input = convert(requestSchemas, "input");
  const output = convert(responseSchemas, "output");

  const paths: Record<string, Record<string, unknown>> = {};
  const sentSchemas: unknown[] = [];
  for (const route of routes) {
    const { method, path, request, tags, summary } = route;
    const responses = { ...implicitErrors(route), ...route.responses };
    const parameters = [
      ...(request?.params ? parametersOf(input.schemaOf(request.params), "path") : []),
      ...(request?.query ? parametersOf(input.schemaOf(request.query), "query") : []),
    ];
    const body = request?.body;
    const bodyContent = body
      ? Object.fromEntries(
          Object.entries(body.content).map(([type, c]) => [type, { schema: input.schemaOf(c.schema) }]),
        )
      : undefined;
    sentSchemas.push(parameters, bodyContent);
    paths[path] ??= {};
    paths[path][method] = {
      ...(tags ? { tags } : {}),
      ...(summary ? { summary } : {}),
      ...accessFields(route),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(body
        ? {
            requestBody: {
              ...(body.description ? { description: body.description } : {}),
              required: body.required ?? false,
              content: bodyContent,
            },
          }
        : {}),
      responses: Object.fromEntries(
        Object.entries(responses).map(([status, r]) => [
          status,
          {
            description: r.description,
            ...(r.content
              ? {
                  content: Object.fromEntries(
                    Object.entries(r.content).map(([type, c]) => [
                      type,
                      { schema: isZod(c.schema) ? output.schemaOf(c.schema) : c.schema },
                    ]),
                  ),
                }
              : {}),
          },
        ]),
      ),
    };
  }
  // A component that requests use is shown as requests send it (defaults optional, say); the others
  // as responses give them.
  const sent = referenced(sentSchemas, input.components);
  const schemas = Object.fromEntries(
    Object.keys(input.components).map((id) => [id, sent.has(id) ? input.components[id] : output.components[id]]),
  );
  return { ...fields, components: { securitySchemes: SECURITY_SCHEMES, schemas }, paths };
}

/**
 * `GET /openapi.json`, generated from the routes' definitions at each request. This is what `npm run
 * dev` and the tests run; the deployed bundle (scripts/build.mjs) replaces this module with
 * `openapi-document.deployed.ts`, which serves the same document generated at build time, so that
 * the generator and every description stay out of the Worker's script.
 */
export function serveOpenApiDocument(app: Hono<AppEnv>): void {
  app.get("/openapi.json", (c) => c.json(openApiDocument(app, documentFields(new URL(c.req.url).origin))));
}
