/** One-time tokens (magic links, password reset, email verification, MFA sign-in steps): mint, read, use once. */
export { TokenErrors } from "./errors";
export {
  hashWasUsed,
  type IdentityUse,
  KV_MIN_TTL_SECONDS,
  LINK_KINDS,
  type LinkKind,
  linkFor,
  newToken,
  type PendingToken,
  readToken,
  TOKEN_KINDS,
  type TokenKind,
  type TokenRecord,
  useOnce,
  useToken,
  type ValidToken,
} from "./token-service";
