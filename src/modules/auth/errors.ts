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
});
