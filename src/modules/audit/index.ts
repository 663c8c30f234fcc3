/** The audit trail's public surface: the statement that records a security event, and the record of refusals. */
export { type AuditEvent, auditStatement } from "./audit-repository";
export { recordForbidden } from "./audit-service";
