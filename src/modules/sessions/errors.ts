import { defineErrors } from "../../lib/errors";

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="api"' };

/** Every error code of sessions and refresh-token rotation. */
export const SessionErrors = defineErrors({
  SESSION_NOT_FOUND: (id: string) => ({ status: 404, detail: `Session ${id} not found` }),
  REFRESH_TOKEN_REUSED: (revoked: boolean) => ({
    status: 401,
    detail: revoked ? "Refresh token was already used; the session has been revoked" : "Refresh token was already used",
    headers: CHALLENGE,
  }),
});
