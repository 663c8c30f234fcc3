/** The audit trail's public surface: the statement that records a security event, the record of refusals, and the list route. */
export { type AuditEvent, auditStatement } from "./audit-repository";
export { recordForbidden } from "./audit-service";
export { auditRoutes } from "./routes";
