/** The auth module's public surface: the sign-in routes and the emailed-link routes. */
export { FORM_POST_PATHS, linkRoutes } from "./link-routes";
export { authRoutes } from "./routes";
