/** The audit trail's public surface: the statement that records a security event, and the list route. */
export { type AuditEvent, auditStatement } from "./audit-repository";
export { auditRoutes } from "./routes";
