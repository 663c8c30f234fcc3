/** The sessions module's public surface: opening, rotating and revoking sessions (refresh families). */
export { SessionErrors } from "./errors";
export { revokeSessionStatement, revokeUserSessionsStatement } from "./session-repository";
export { type IssuedPair, openSession, REFRESH_REUSE_GRACE_SECONDS, rotateRefreshToken } from "./session-service";
