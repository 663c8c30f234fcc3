import { defineErrors } from "../../lib/errors";

/** Every error code of sign-in with a provider (see the routes of `routes.ts`). */
export const OAuthErrors = defineErrors({
  OAUTH_PROVIDER_NOT_CONFIGURED: (provider: string) => ({
    status: 404,
    detail: `Sign-in with '${provider}' is not configured on this server`,
  }),
  OAUTH_STATE_INVALID: (why: string) => ({
    status: 400,
    detail: `This sign-in can't be completed: ${why}. Start the sign-in again.`,
  }),
  OAUTH_STATE_EXPIRED: () => ({
    status: 400,
    detail: "This sign-in took longer than 10 minutes and has expired. Start the sign-in again.",
  }),
  OAUTH_STATE_USED: () => ({
    status: 400,
    detail: "This sign-in has already been completed or abandoned; its link works once. Start the sign-in again.",
  }),
  OAUTH_PROVIDER_ERROR: (provider: string, what: string) => ({
    status: 400,
    detail: `Sign-in with ${provider} failed: ${what}`,
  }),
  OAUTH_ID_TOKEN_INVALID: (provider: string, why: string) => ({
    status: 400,
    detail: `Sign-in with ${provider} failed: its ID token was refused (${why})`,
  }),
  OAUTH_EMAIL_UNAVAILABLE: (provider: string) => ({
    status: 400,
    detail: `Sign-in with ${provider} failed: it gave no verified email address for this account`,
  }),
  OAUTH_EMAIL_NOT_VERIFIED: (provider: string) => ({
    status: 409,
    detail: `An account with this email address exists, and ${provider} has not verified that the address is yours, so the two can't be linked: sign in to that account another way`,
  }),
  OAUTH_ACCOUNT_NOT_VERIFIED: (provider: string) => ({
    status: 409,
    detail: `An account with this email address exists, but nobody has proved yet that the address is theirs, so ${provider} can't be linked to it: sign in to that account another way and verify its address first`,
  }),
});
