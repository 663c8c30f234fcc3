/** The auth module's public surface: the sign-in routes and the emailed-link routes. */

export { setAuthCookies } from "./cookies";
export { FORM_POST_PATHS, linkRoutes } from "./link-routes";
export { isSafeNext } from "./next-path";
export { messagePage, type Page } from "./pages";
export { authRoutes } from "./routes";
export { Next } from "./schemas";
