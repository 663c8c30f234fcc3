import { API_PREFIX } from "../../app-info";
import type { AppEnv } from "../../env";
import { errors, IdParam, json, jsonBody, MessageSchema } from "../../lib/openapi";
import { listOf, pageOf } from "../../lib/pagination";
import { createRouter, guardedRoute, publicRoute, type RouteHandler } from "../../middleware/route";
import { createModule, deleteModuleById, getModule, moduleCatalog, updateModuleById } from "./module-service";
import { CreateModuleBody, ModuleEnvelope, ModuleList, ModuleListQuery, UpdateModuleBody } from "./schemas";

const tags = ["Modules"];
const MODULES = `${API_PREFIX}/modules`;

const updateRoute = (method: "put" | "patch") =>
  guardedRoute({
    method,
    path: `${MODULES}/{id}`,
    tags,
    summary: "Update a module (any subset of its fields)",
    description: "Lowering `max_score` below a recorded score is 409 `MAX_SCORE_BELOW_SCORES`.",
    permission: "modules:update",
    request: { params: IdParam, body: jsonBody(UpdateModuleBody) },
    responses: { 200: json(ModuleEnvelope, "The updated module"), ...errors(404, 409) },
  });

/** PUT and PATCH /modules/{id}: one partial update. */
const update: RouteHandler<ReturnType<typeof updateRoute>, AppEnv> = async (c) => {
  const module = await updateModuleById(c.get("deps"), c.req.valid("param").id, c.req.valid("json"));
  return c.json({ module, message: "Module updated successfully" }, 200);
};

/** What the catalog's readers are told (KC7 serves its catalog without a token). */
const PUBLIC_CATALOG =
  "Public: the catalog answers without a token (KC7). Modules have no status, so every module is listed.";

/** The KC7 module catalog: list and read by anyone, managed with `modules:create/update/delete`. */
export const moduleRoutes = createRouter()
  .openapi(
    publicRoute({
      method: "get",
      path: MODULES,
      tags,
      summary: "The module catalog",
      description: PUBLIC_CATALOG,
      request: { query: ModuleListQuery },
      responses: { 200: json(ModuleList, "A page of modules") },
    }),
    async (c) => {
      const page = pageOf(c.req.valid("query"));
      const { rows, total } = await moduleCatalog(c.get("deps"), page);
      return c.json(listOf("modules", rows, total, page), 200);
    },
  )
  .openapi(
    publicRoute({
      method: "get",
      path: `${MODULES}/{id}`,
      tags,
      summary: "Get a module",
      description: PUBLIC_CATALOG,
      request: { params: IdParam },
      responses: { 200: json(ModuleEnvelope, "The module"), ...errors(404) },
    }),
    async (c) => {
      const module = await getModule(c.get("deps"), c.req.valid("param").id);
      return c.json({ module, message: "Module retrieved successfully" }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "post",
      path: MODULES,
      tags,
      summary: "Add a module to the catalog",
      permission: "modules:create",
      request: { body: jsonBody(CreateModuleBody) },
      responses: { 201: json(ModuleEnvelope, "The created module") },
    }),
    async (c) => {
      const module = await createModule(c.get("deps"), c.req.valid("json"));
      return c.json({ module, message: "Module created successfully" }, 201);
    },
  )
  .openapi(updateRoute("put"), update)
  .openapi(updateRoute("patch"), update)
  .openapi(
    guardedRoute({
      method: "delete",
      path: `${MODULES}/{id}`,
      tags,
      summary: "Delete a module",
      description: "The progress recorded in the module is deleted with it.",
      permission: "modules:delete",
      request: { params: IdParam },
      responses: { 200: json(MessageSchema, "Deleted"), ...errors(404) },
    }),
    async (c) => {
      await deleteModuleById(c.get("deps"), c.req.valid("param").id);
      return c.json({ message: "Module deleted successfully" }, 200);
    },
  );
