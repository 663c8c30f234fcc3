import { createRouter } from "../../middleware/route";
import { organizationRoutes } from "./organizations/routes";
import { permissionRoutes } from "./permissions/routes";
import { roleRoutes } from "./roles/routes";
import { adminRoutes } from "./users/admin-routes";
import { userRoutes } from "./users/routes";
import { userSessionRoutes } from "./users/session-routes";

/** Access control: users (and the admin area), organizations with their members, roles and permissions. */
export const accessRoutes = createRouter()
  .route("/", userRoutes)
  .route("/", userSessionRoutes)
  .route("/", organizationRoutes)
  .route("/", roleRoutes)
  .route("/", permissionRoutes)
  .route("/", adminRoutes);
