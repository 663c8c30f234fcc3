/** Sign-in with Google, GitHub and any OpenID Connect issuer (`/auth/oauth/*`). */
export { OAUTH_CALLBACK_PATHS, oauthRoutes } from "./routes";
