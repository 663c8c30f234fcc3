/** The auth module's public surface: the sign-in routes, the emailed-link routes and the second factor. */
export { FORM_POST_PATHS, linkRoutes } from "./link-routes";
export { mfaRoutes } from "./mfa-routes";
export { authRoutes } from "./routes";
