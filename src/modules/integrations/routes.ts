import { API_PREFIX } from "../../app-info";
import { errors, IdParam, json, jsonBody, MessageSchema } from "../../lib/openapi";
import { createRouter, guardedRoute } from "../../middleware/route";
import { createKey, createLoginLink, listKeys, revokeKey } from "./key-service";
import { CreatedIntegrationKey, CreateIntegrationKeyBody, IntegrationKeyList, LoginLinkSchema } from "./schemas";

const KEYS = `${API_PREFIX}/integration-keys`;
const tags = ["Integrations"];

/** Integration keys (admin-managed) and one-time login links for integrations. */
export const integrationRoutes = createRouter()
  .openapi(
    guardedRoute({
      method: "post",
      path: KEYS,
      tags,
      summary: "Create an integration key (shown this once)",
      description:
        "The key (`ik_...`) is in this response only; it is stored as a hash, listed by its `prefix`, and accepted as `X-Integration-Key` until revoked.",
      permission: "integration_keys:manage",
      request: { body: jsonBody(CreateIntegrationKeyBody) },
      responses: { 201: json(CreatedIntegrationKey, "The key, shown once") },
    }),
    async (c) => {
      const created = await createKey(c.get("deps"), c.get("auth"), c.req.valid("json").name);
      return c.json(created, 201);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: KEYS,
      tags,
      summary: "The integration keys that are not revoked (without the keys)",
      permission: "integration_keys:manage",
      responses: { 200: json(IntegrationKeyList, "The keys") },
    }),
    async (c) => c.json({ integration_keys: await listKeys(c.get("deps")) }, 200),
  )
  .openapi(
    guardedRoute({
      method: "delete",
      path: `${KEYS}/{id}`,
      tags,
      summary: "Revoke an integration key (at once)",
      description: "An unknown or already revoked key is 404 `INTEGRATION_KEY_NOT_FOUND`.",
      permission: "integration_keys:manage",
      request: { params: IdParam },
      responses: { 200: json(MessageSchema, "Revoked"), ...errors(404) },
    }),
    async (c) => {
      await revokeKey(c.get("deps"), c.get("auth"), c.req.valid("param").id);
      return c.json({ message: "Integration key revoked" }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "post",
      path: `${API_PREFIX}/users/{id}/login-link`,
      tags,
      summary: "A one-time login link for a user (integrations)",
      description:
        "Also needs the header `X-Integration-Key`: a key from `POST /integration-keys` or from the `INTEGRATION_KEYS` secret (missing or wrong: 401 `INTEGRATION_KEY_INVALID`). The link is a magic link for that user (`MAGIC_LINK_TTL_SECONDS`, single use). A missing or deactivated user is 404 `USER_NOT_FOUND`; a user holding a permission the caller lacks is 403 `PRIVILEGE_ESCALATION`. The audit trail records the caller and the key.",
      permission: "login_links:create",
      request: { params: IdParam },
      responses: { 201: json(LoginLinkSchema, "The link"), ...errors(404) },
    }),
    async (c) => {
      const key = c.req.header("x-integration-key");
      const origin = new URL(c.req.url).origin;
      const link = await createLoginLink(c.get("deps"), c.get("auth"), key, c.req.valid("param").id, origin);
      return c.json(link, 201);
    },
  );
