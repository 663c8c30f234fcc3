/** The audit trail's public surface: the statement that records a security event. */
export { type AuditEvent, auditStatement } from "./audit-repository";
