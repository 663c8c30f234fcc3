import { API_PREFIX } from "../../../app-info";
import type { AppEnv } from "../../../env";
import { errors, IdParam, json, jsonBody, MessageSchema } from "../../../lib/openapi";
import { pageOf } from "../../../lib/pagination";
import { rateLimit } from "../../../middleware/rate-limit";
import { createRouter, guardedRoute, type RouteHandler } from "../../../middleware/route";
import {
  CreateUserBody,
  EmailParam,
  MeSchema,
  UpdateUserBody,
  UserEnvelope,
  UserList,
  UserListQuery,
  UsernameParam,
} from "./schemas";
import { createUser, currentUser, getUser, getUserByEmail, getUserByUsername, listUsers } from "./user-service";
import { deactivateUser, updateUser } from "./user-update-service";

const BASE = `${API_PREFIX}/users`;
const tags = ["Users"];
const SEE_RULE =
  "Another user is 404 to a caller without users:read, as a missing one is; other users' emails are null without users:read_email.";

const updateRoute = (method: "put" | "patch") =>
  guardedRoute({
    method,
    path: `${BASE}/{id}`,
    tags,
    summary: "Update a user (partial, PUT and PATCH alike)",
    description:
      "A user may edit its own profile (username, email, names, office_location, department, receive_email); another user's needs users:update (403) and may not hold permissions the caller lacks (403 PRIVILEGE_ESCALATION). role, role_ids, organization_ids and is_active need users:manage_access (403 FIELD_NOT_ALLOWED), and the caller must hold every permission of each role it assigns or removes. Any other field (email_verified, password_hash, id, ...) is a 422. A user changing its own email changes nothing at once: the new address gets a link that confirms it (then it is verified) and the current one a notice; another user's email set by holders of users:update applies at once and resets email_verified; deactivation revokes all sessions; the last active ADMIN can't be demoted or deactivated (409 LAST_ADMIN). Records the `user.updated` webhook event, and `user.deactivated` when `is_active` turns false.",
    permission: "users:update",
    scope: "own",
    request: { params: IdParam, body: jsonBody(UpdateUserBody) },
    responses: { 200: json(UserEnvelope, "Updated"), ...errors(404, 409) },
  });

/** PUT and PATCH /users/{id}: one partial update. */
const update: RouteHandler<ReturnType<typeof updateRoute>, AppEnv> = async (c) => {
  const origin = new URL(c.req.url).origin;
  const { id } = c.req.valid("param");
  const { user, pendingEmail } = await updateUser(
    c.get("deps"),
    c.get("auth"),
    c.get("scope"),
    id,
    c.req.valid("json"),
    origin,
  );
  const message = pendingEmail
    ? `User updated; the email changes once ${pendingEmail} confirms it from the link sent there`
    : "User updated successfully";
  return c.json({ user, message }, 200);
};

/** `/users`: listing, creation (including KC7's passwordless form), lookups, updates and soft deletion. */
export const userRoutes = createRouter()
  .openapi(
    guardedRoute({
      method: "get",
      path: `${BASE}/me`,
      tags,
      summary: "The signed-in user (also at /auth/me)",
      permission: "authenticated",
      responses: { 200: json(MeSchema, "The caller") },
    }),
    async (c) => c.json(await currentUser(c.get("deps"), c.get("auth")), 200),
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: BASE,
      tags,
      summary: "List users (filters active_only, role, organization_id, search)",
      permission: "users:read",
      request: { query: UserListQuery },
      responses: { 200: json(UserList, "A page of users") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const filter = {
        status: q.active_only === false ? undefined : ("active" as const),
        role: q.role,
        organizationId: q.organization_id,
        search: q.search,
      };
      return c.json(await listUsers(c.get("deps"), c.get("auth"), filter, pageOf(q)), 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "post",
      path: BASE,
      tags,
      summary: "Create a user; without a password the user signs in by magic link",
      description:
        "At most 5 per minute per caller (RATE_LIMIT_USER_CREATE_PER_MINUTE). role, role_ids, organization_ids and is_active need users:manage_access (403 FIELD_NOT_ALLOWED) and the caller must hold every permission of the roles it assigns (403 PRIVILEGE_ESCALATION); without them the user gets EMPLOYEE. A password goes through the password policy (422); 503 `PASSWORD_POLICY_UNAVAILABLE` (nothing written) when the common-password list can't be loaded.",
      permission: "users:create",
      middleware: [rateLimit({ group: "userCreate", key: "user" })],
      request: { body: jsonBody(CreateUserBody) },
      responses: { 201: json(UserEnvelope, "Created"), ...errors(404, 409, 503) },
    }),
    async (c) => {
      const user = await createUser(c.get("deps"), c.get("auth"), c.req.valid("json"));
      return c.json({ user, message: "User created successfully" }, 201);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${BASE}/by-username/{username}`,
      tags,
      summary: "Get a user by username",
      description: SEE_RULE,
      permission: "users:read",
      scope: "own",
      request: { params: UsernameParam },
      responses: { 200: json(UserEnvelope, "The user"), ...errors(404) },
    }),
    async (c) => {
      const user = await getUserByUsername(c.get("deps"), c.get("auth"), c.get("scope"), c.req.valid("param").username);
      return c.json({ user }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${BASE}/by-email/{email}`,
      tags,
      summary: "Get a user by email",
      permission: "users:read_email",
      request: { params: EmailParam },
      responses: { 200: json(UserEnvelope, "The user"), ...errors(404) },
    }),
    async (c) => c.json({ user: await getUserByEmail(c.get("deps"), c.get("auth"), c.req.valid("param").email) }, 200),
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${BASE}/{id}`,
      tags,
      summary: "Get a user",
      description: SEE_RULE,
      permission: "users:read",
      scope: "own",
      request: { params: IdParam },
      responses: { 200: json(UserEnvelope, "The user"), ...errors(404) },
    }),
    async (c) =>
      c.json({ user: await getUser(c.get("deps"), c.get("auth"), c.get("scope"), c.req.valid("param").id) }, 200),
  )
  .openapi(updateRoute("put"), update)
  .openapi(updateRoute("patch"), update)
  .openapi(
    guardedRoute({
      method: "delete",
      path: `${BASE}/{id}`,
      tags,
      summary: "Deactivate a user (soft delete) and revoke its sessions",
      description:
        "The user may not hold permissions the caller lacks (403); its sessions are revoked, so its tokens fail on the next request. The last active ADMIN can't be deleted (409 LAST_ADMIN). Records the `user.deactivated` webhook event when the user was active.",
      permission: "users:delete",
      request: { params: IdParam },
      responses: { 200: json(MessageSchema, "Deactivated"), ...errors(404, 409) },
    }),
    async (c) => {
      await deactivateUser(c.get("deps"), c.get("auth"), c.req.valid("param").id);
      return c.json({ message: "User deactivated successfully" }, 200);
    },
  );
