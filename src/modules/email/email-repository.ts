import { desc } from "drizzle-orm";
import type { Db } from "../../db/client";
import { findPage } from "../../db/page";
import { emails } from "../../db/schema";
import { type UserRef, userRefSql } from "../../db/sql";
import { type Statement, statement } from "../../db/statement";
import type { Page } from "../../lib/pagination";
import type { EmailView } from "./schemas";

/** Columns of an email as `GET /admin/emails` shows it. */
const emailColumns = {
  id: emails.id,
  kind: emails.kind,
  to: emails.toAddress,
  subject: emails.subject,
  text: emails.text,
  html: emails.html,
  status: emails.status,
  attempts: emails.attempts,
  last_error: emails.lastError,
  created_at: emails.createdAt,
  sent_at: emails.sentAt,
};

/** A page of emails, newest first. */
export function listEmails(db: Db, page: Page) {
  return findPage<EmailView>(
    db,
    { from: emails, columns: emailColumns, where: undefined, orderBy: desc(emails.id) },
    page,
  );
}

/** What an email row is made of when it is queued. */
export interface NewEmail {
  messageKey: string;
  kind: string;
  to: string;
  user: UserRef | null;
  subject: string;
  text: string;
  html: string;
  secret: string | null;
  /** Extra message headers, or none. */
  headers?: Record<string, string> | undefined;
}

/** Inserts a queued email (its user may be one inserted in the same batch, by username). */
export function insertEmailStatement(d1: D1Database, e: NewEmail, at: string): Statement {
  const ref = e.user === null ? { sql: "?1", value: null } : userRefSql(e.user, 1);
  return statement(
    d1,
    `INSERT INTO emails (user_id, message_key, kind, to_address, subject, text, html, secret, headers, created_at, updated_at)
     SELECT ${ref.sql}, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?10, ?9, ?9`,
    ref.value,
    e.messageKey,
    e.kind,
    e.to,
    e.subject,
    e.text,
    e.html,
    e.secret,
    at,
    e.headers ? JSON.stringify(e.headers) : null,
  );
}

/** An email being sent, as the consumer reads it. */
export interface OutgoingEmail {
  id: number;
  kind: string;
  to_address: string;
  subject: string;
  text: string;
  html: string;
  attempts: number;
  /** JSON object of extra headers, or null. */
  headers: string | null;
}

/**
 * Claims a queued email for sending until `leaseUntil`, counting an attempt, and returns it; no row
 * when it is no longer queued (already sent or failed: how a redelivered message is acknowledged
 * without sending twice) or another consumer's lease on it still runs (`emailStateStatement` tells
 * which).
 */
export function claimEmailStatement(
  d1: D1Database,
  messageKey: string,
  at: string,
  leaseUntil: string,
): Statement<OutgoingEmail> {
  return statement(
    d1,
    `UPDATE emails SET attempts = attempts + 1, updated_at = ?2, lease_until = ?3
     WHERE message_key = ?1 AND status = 'queued' AND (lease_until IS NULL OR lease_until <= ?2)
     RETURNING id, kind, to_address, subject, text, html, attempts, headers`,
    messageKey,
    at,
    leaseUntil,
  );
}

/** An email's status and lease, read after `claimEmailStatement` in the same batch (none: no such email). */
export function emailStateStatement(
  d1: D1Database,
  messageKey: string,
): Statement<{ status: string; lease_until: string | null }> {
  return statement(d1, "SELECT status, lease_until FROM emails WHERE message_key = ?1", messageKey);
}

const REDACTED = "[link removed after sending]";

/** SET clause that takes the one-time token out of the stored body (`redact`), or leaves it. */
const redaction = (redact: boolean) =>
  redact
    ? `, text = CASE WHEN secret IS NULL THEN text ELSE replace(text, secret, '${REDACTED}') END,
       html = CASE WHEN secret IS NULL THEN html ELSE replace(html, secret, '${REDACTED}') END, secret = NULL`
    : "";

/** Marks an email sent; with `redact`, its token is removed from the stored body. */
export function markSentStatement(d1: D1Database, id: number, redact: boolean, at: string): Statement {
  return statement(
    d1,
    `UPDATE emails SET status = 'sent', sent_at = ?2, updated_at = ?2, last_error = NULL, lease_until = NULL${redaction(redact)}
     WHERE id = ?1 AND status = 'queued'`,
    id,
    at,
  );
}

/**
 * Records why an attempt failed (never a secret: transports report statuses, not bodies they sent),
 * and ends the attempt's lease: the message's own retry sends it again.
 */
export function recordFailureStatement(d1: D1Database, id: number, error: string, at: string): Statement {
  return statement(
    d1,
    "UPDATE emails SET last_error = ?2, updated_at = ?3, lease_until = NULL WHERE id = ?1",
    id,
    error.slice(0, 500),
    at,
  );
}

/** Marks a still-queued email failed (its retries are used up); with `redact`, its token is removed. */
export function markFailedStatement(d1: D1Database, messageKey: string, redact: boolean, at: string): Statement {
  return statement(
    d1,
    `UPDATE emails SET status = 'failed', updated_at = ?2${redaction(redact)} WHERE message_key = ?1 AND status = 'queued'`,
    messageKey,
    at,
  );
}

/**
 * Claims up to `limit` emails that no consumer has touched (`queued`, no attempt) since `staleBefore`
 * (their queue message was lost: the send after the batch failed, or the Worker stopped), stamping
 * `updated_at` with `at` so that the next relay run leaves them alone while their new message is on
 * its way. Returns their message keys.
 */
export function claimStaleQueuedEmailsStatement(
  d1: D1Database,
  at: string,
  staleBefore: string,
  limit: number,
): Statement<{ message_key: string }> {
  return statement(d1, CLAIM_STALE_QUEUED_EMAILS_SQL, at, staleBefore, limit);
}

/** The claim of `claimStaleQueuedEmailsStatement`: it reads only `emails_untouched_idx` (tested by its plan). */
export const CLAIM_STALE_QUEUED_EMAILS_SQL = `UPDATE emails SET updated_at = ?1
      WHERE id IN (SELECT id FROM emails WHERE status = 'queued' AND attempts = 0 AND updated_at <= ?2 ORDER BY id LIMIT ?3)
     RETURNING message_key`;
