/** The sessions module's public surface: opening, rotating, listing and ending sessions (refresh families). */
export { SessionErrors } from "./errors";
export { sessionRoutes } from "./routes";
export { EndedSessions, SessionList, SessionListQuery } from "./schemas";
export { endSessions, listSessions, sessionsRead } from "./session-list-service";
export { liveSessionIdsStatement, revokeSessionStatement, revokeUserSessionsStatement } from "./session-repository";
export { type IssuedPair, openSession, REFRESH_REUSE_GRACE_SECONDS, rotateRefreshToken } from "./session-service";
