import { defineErrors } from "../../lib/errors";

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="api"' };

/** Every error code of sign-in (tokens and sessions answer `HttpErrors` and `SessionErrors` codes). */
export const AuthErrors = defineErrors({
  INVALID_CREDENTIALS: () => ({ status: 401, detail: "Invalid credentials", headers: CHALLENGE }),
  INVALID_CURRENT_PASSWORD: () => ({ status: 400, detail: "Current password incorrect" }),
  ACCOUNT_LOCKED: (waitSeconds: number) => ({
    status: 429,
    detail: `Too many failed logins; try again in ${waitSeconds} seconds`,
    headers: { "Retry-After": String(waitSeconds) },
  }),
  PASSWORD_SIGNIN_SUSPENDED: (waitSeconds: number) => ({
    status: 429,
    detail: `Password sign-in for this account is suspended after too many failed attempts; sign in with an emailed link, or with the password in ${waitSeconds} seconds`,
    headers: { "Retry-After": String(waitSeconds) },
  }),
  PASSWORD_CHECK_LOCKED: (waitSeconds: number) => ({
    status: 429,
    detail: `Too many wrong current passwords; try again in ${waitSeconds} seconds`,
    headers: { "Retry-After": String(waitSeconds) },
  }),
  MFA_CODE_INVALID: (status: 400 | 401) => ({
    status,
    detail: "Invalid or already used authentication code",
    ...(status === 401 ? { headers: CHALLENGE } : {}),
  }),
  MFA_LOCKED: (waitSeconds: number) => ({
    status: 429,
    detail: `Too many wrong authentication codes; try again in ${waitSeconds} seconds`,
    headers: { "Retry-After": String(waitSeconds) },
  }),
  MFA_ALREADY_ENABLED: () => ({ status: 409, detail: "Two-factor authentication is already on" }),
  MFA_NOT_SET_UP: () => ({ status: 409, detail: "Set up two-factor authentication first (POST /auth/mfa/totp/setup)" }),
  MFA_NOT_ENABLED: () => ({ status: 409, detail: "Two-factor authentication is not on" }),
  MFA_UNAVAILABLE: () => ({
    status: 503,
    detail: "Two-factor authentication is not configured on this server (MFA_ENCRYPTION_KEY)",
  }),
  /** A provider identity being linked (OAuth sign-in, or its TOTP step) was linked by another sign-in meanwhile. */
  OAUTH_IDENTITY_CONFLICT: () => ({
    status: 409,
    detail: "This account was linked by another sign-in at the same moment; sign in again",
  }),
});
