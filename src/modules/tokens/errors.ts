import { defineErrors } from "../../lib/errors";

/** Every error code of one-time tokens (magic links, password reset, email verification). */
export const TokenErrors = defineErrors({
  LINK_TOKEN_MALFORMED: () => ({ status: 400, detail: "The link's token is malformed" }),
  LINK_TOKEN_WRONG_KIND: (expected: string) => ({
    status: 400,
    detail: `This token is not a ${expected.replace(/_/g, " ")} token`,
  }),
  LINK_TOKEN_INVALID: () => ({ status: 401, detail: "The link is invalid" }),
  LINK_TOKEN_EXPIRED: () => ({ status: 401, detail: "The link has expired" }),
  LINK_TOKEN_USED: () => ({ status: 401, detail: "The link has already been used" }),
});
