/** Sign-in with Google, GitHub and any OpenID Connect issuer (`/auth/oauth/*`). */
export { OAuthErrors } from "./errors";
export { completeOAuthSignIn } from "./oauth-service";
export { oauthRoutes } from "./routes";
