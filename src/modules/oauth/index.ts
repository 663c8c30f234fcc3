/** Sign-in with Google, GitHub and any OpenID Connect issuer (`/auth/oauth/*`). */
export { oauthRoutes } from "./routes";
