import { and, asc, count, eq, gt, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { reportDeliveries, reports, users } from "../../db/schema";
import { type Statement, statement } from "../../db/statement";
import { type ReportRow, reportColumns } from "./report-repository";

/** A recipient of a report email. */
export interface Recipient {
  id: number;
  username: string;
  email: string;
}

/** Active users who receive email and have not had `reportId` under `subject` yet. */
const pendingRecipients = (reportId: number, subject: string) =>
  and(
    eq(users.isActive, true),
    eq(users.receiveEmail, true),
    sql`NOT EXISTS (SELECT 1 FROM ${reportDeliveries} WHERE ${reportDeliveries.reportId} = ${reportId} AND ${reportDeliveries.subject} = ${subject} AND ${reportDeliveries.userId} = ${users.id})`,
  );

/**
 * The report and, in id order after `afterId`, up to `limit` recipients still to email, in one round
 * trip; with `withTotal`, also how many remain in all (the first chunk of a send answers it). A send
 * walks the users once, each chunk after the last id of the one before, so its cost grows with the
 * audience, not with its square.
 */
export async function readSendChunk(
  db: Db,
  r: { reportId: number; subject: string; afterId: number; limit: number; withTotal: boolean },
) {
  const where = pendingRecipients(r.reportId, r.subject);
  const report = db.select(reportColumns).from(reports).where(eq(reports.id, r.reportId)).limit(1);
  const next = db
    .select({ id: users.id, username: users.username, email: users.email })
    .from(users)
    .where(and(gt(users.id, r.afterId), where))
    .orderBy(asc(users.id))
    .limit(r.limit);
  const [found, recipients, remaining] = r.withTotal
    ? await db.batch([report, next, db.select({ n: count() }).from(users).where(where)])
    : [...(await db.batch([report, next])), undefined];
  return {
    report: found[0] as ReportRow | undefined,
    recipients: recipients as Recipient[],
    remaining: remaining?.[0]?.n,
  };
}

/**
 * Records that `userId` gets `reportId` under `subject`. A second insert for the same three fails on
 * the primary key and rolls its batch back (with the email it would have queued): no one gets the
 * same report with the same subject twice, even from two sends racing.
 */
export function insertDeliveryStatement(
  d1: D1Database,
  d: { reportId: number; subject: string; userId: number; messageKey: string },
  at: string,
): Statement {
  return statement(
    d1,
    "INSERT INTO report_deliveries (report_id, subject, user_id, message_key, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    d.reportId,
    d.subject,
    d.userId,
    d.messageKey,
    at,
  );
}

/** Turns report emails off for a user (`receive_email = 0`); returns the user when it exists. */
export function unsubscribeStatement(d1: D1Database, userId: number, at: string): Statement<{ id: number }> {
  return statement(
    d1,
    "UPDATE users SET receive_email = 0, updated_at = CASE WHEN receive_email = 0 THEN updated_at ELSE ?2 END WHERE id = ?1 RETURNING id",
    userId,
    at,
  );
}
