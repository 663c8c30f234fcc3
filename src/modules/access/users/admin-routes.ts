import { API_PREFIX } from "../../../app-info";
import { errors, IdParam, json } from "../../../lib/openapi";
import { pageOf } from "../../../lib/pagination";
import { createRouter, guardedRoute } from "../../../middleware/route";
import { AdminUserListQuery, UserEnvelope, UserList } from "./schemas";
import { listUsers } from "./user-service";
import { toggleUserStatus } from "./user-update-service";

const BASE = `${API_PREFIX}/admin/users`;
const tags = ["Admin"];

/** Synapse's admin area: users by status and the activation toggle (holders of `users:manage_access`). */
export const adminRoutes = createRouter()
  .openapi(
    guardedRoute({
      method: "get",
      path: BASE,
      tags,
      summary: "List users by status (active, inactive, or both when absent)",
      permission: ["users:read", "users:manage_access"],
      request: { query: AdminUserListQuery },
      responses: { 200: json(UserList, "A page of users") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      return c.json(await listUsers(c.get("deps"), c.get("auth"), { status: q.status }, pageOf(q)), 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "patch",
      path: `${BASE}/{id}/toggle-status`,
      tags,
      summary: "Activate or deactivate a user",
      description:
        "Deactivation revokes the user's sessions, so its tokens fail on the next request. The user may not hold permissions the caller lacks (403); the last active ADMIN can't be deactivated (409 LAST_ADMIN). Records the `user.deactivated` webhook event, or `user.updated` when it activates the user.",
      permission: "users:manage_access",
      request: { params: IdParam },
      responses: { 200: json(UserEnvelope, "The user with its new status"), ...errors(404, 409) },
    }),
    async (c) => {
      const user = await toggleUserStatus(c.get("deps"), c.get("auth"), c.req.valid("param").id);
      return c.json({ user, message: "User status updated successfully" }, 200);
    },
  );
