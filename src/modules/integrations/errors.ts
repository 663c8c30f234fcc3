import { defineErrors } from "../../lib/errors";

/** Every error code of integration keys and login links (a missing user answers access's `USER_NOT_FOUND`). */
export const IntegrationErrors = defineErrors({
  INTEGRATION_KEY_INVALID: (detail = "A valid X-Integration-Key header is required") => ({
    status: 401,
    detail,
    headers: { "WWW-Authenticate": 'IntegrationKey realm="api"' },
  }),
  INTEGRATION_KEY_NOT_FOUND: (id: number) => ({ status: 404, detail: `Integration key with id ${id} not found` }),
});
