/** The auth module's public surface: the sign-in routes, the emailed-link routes, the second factor, and what other sign-ins reuse. */
export { setAuthCookies } from "./cookies";
export { AuthErrors } from "./errors";
export { html, htmlResponse } from "./forms";
export { FORM_POST_PATHS, linkRoutes } from "./link-routes";
export { MFA_VERIFY_PATH, mfaChallenge, type SignInStep } from "./mfa-challenge";
export { mfaRoutes } from "./mfa-routes";
export { isSafeNext } from "./next-path";
export { messagePage, mfaCodePage, type Page, page } from "./pages";
export { authRoutes } from "./routes";
export { Next } from "./schemas";
