import { API_PREFIX } from "../../app-info";
import { runBatch } from "../../db/statement";
import { isoNow } from "../../lib/clock";
import { AppError } from "../../lib/errors";
import type { Deps } from "../../middleware/deps";
import { escapeHtml as e, enqueueEmails, PRODUCT_NAME, queuePreparedEmail } from "../email";
import { insertDeliveryStatement, type Recipient, readSendChunk } from "./delivery-repository";
import { ReportErrors } from "./errors";
import { type StoredReport, storedReport } from "./report-service";
import { unsubscribeToken } from "./unsubscribe-token";

/** Recipients emailed per batch (two statements each); the rest follow through the `emails` queue. */
export const SEND_CHUNK = 50;

/**
 * The `emails` queue message that continues a send past its first chunk, with the last user id the
 * send reached (absent in messages queued before it was carried: those start over, skipping whoever
 * was already sent the report).
 */
export interface ReportSendMessage {
  report_send: { report_id: number; subject: string; base: string; after_id?: number };
}

/** True for a `ReportSendMessage` body. */
export function isReportSendMessage(body: unknown): body is ReportSendMessage {
  const send = (body as Partial<ReportSendMessage> | null)?.report_send;
  return (
    typeof send === "object" &&
    send !== null &&
    Number.isSafeInteger(send.report_id) &&
    typeof send.subject === "string" &&
    typeof send.base === "string" &&
    (send.after_id === undefined || Number.isSafeInteger(send.after_id))
  );
}

/** The public unsubscribe link of a token (contract, "Reports"). */
export const unsubscribeLink = (base: string, token: string) =>
  `${base}${API_PREFIX}/unsubscribe?token=${encodeURIComponent(token)}`;

/** The report email of one recipient: the report's text, a link to its page, and the unsubscribe link. */
function reportEmail(report: StoredReport, recipient: Recipient, base: string, unsubscribe: string) {
  const page = `${base}${API_PREFIX}/reports/${report.id}/html`;
  const text = [
    `Hello ${recipient.username},`,
    "",
    report.content,
    "",
    `The report with its charts (sign-in needed): ${page}`,
    "",
    `To stop receiving report emails, open: ${unsubscribe}`,
    "",
    `— ${PRODUCT_NAME}`,
  ].join("\n");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(report.name)}</title></head>
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1a1a1a; max-width: 40rem; margin: 0 auto; padding: 1rem;">
<p>Hello ${e(recipient.username)},</p>
<pre style="white-space: pre-wrap; font: 0.95rem/1.5 ui-monospace, monospace;">${e(report.content)}</pre>
<p><a href="${e(page)}">The report with its charts</a> (sign-in needed)</p>
<p style="font-size: 0.85rem; color: #444;">You receive this because report emails are on for your account. <a href="${e(unsubscribe)}">Unsubscribe</a></p>
<p>— ${e(PRODUCT_NAME)}</p>
</body></html>`;
  return { text, html };
}

/** Attempts at a chunk when a concurrent send of the same report and subject claimed some of its recipients. */
const CHUNK_ATTEMPTS = 3;

/**
 * Emails the next `SEND_CHUNK` recipients of a report under `subject` (by id, after `afterId`): each
 * email and its delivery row in one batch, then their queue messages. Returns how many recipients
 * remained before this chunk (the first chunk only, `afterId` 0), whether more may remain after it,
 * and the last id it reached. Recipients already sent this report under this subject are never
 * chosen, so repeating a send emails no one twice. 404 `REPORT_NOT_FOUND`; 409 `REPORT_SEND_BUSY`
 * when concurrent sends keep claiming the same recipients.
 */
export async function sendReportChunk(
  deps: Deps,
  input: { report_id: number; subject: string },
  base: string,
  afterId = 0,
): Promise<{ recipients: number; more: boolean; lastId: number }> {
  for (let attempt = 0; attempt < CHUNK_ATTEMPTS; attempt++) {
    const chunk = await readSendChunk(deps.db, {
      reportId: input.report_id,
      subject: input.subject,
      afterId,
      limit: SEND_CHUNK,
      withTotal: afterId === 0,
    });
    if (!chunk.report) throw ReportErrors.REPORT_NOT_FOUND(input.report_id);
    if (chunk.recipients.length === 0) return { recipients: 0, more: false, lastId: afterId };
    const report = storedReport(chunk.report);
    const at = isoNow(deps.clock);
    const mails = await Promise.all(
      chunk.recipients.map(async (recipient) => {
        const link = unsubscribeLink(base, await unsubscribeToken(deps.pepper, recipient.id));
        const mail = queuePreparedEmail(deps, {
          kind: "report",
          to: recipient.email,
          user: recipient.id,
          subject: input.subject,
          ...reportEmail(report, recipient, base, link),
          headers: { "List-Unsubscribe": `<${link}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
          secret: null,
        });
        const delivery = insertDeliveryStatement(
          deps.d1,
          { reportId: report.id, subject: input.subject, userId: recipient.id, messageKey: mail.messageKey },
          at,
        );
        return { mail, statements: [...mail.statements, delivery] };
      }),
    );
    try {
      await runBatch(
        deps.d1,
        mails.flatMap((m) => m.statements),
        { unique: () => ReportErrors.REPORT_SEND_BUSY(input.report_id) },
      );
    } catch (err) {
      if (err instanceof AppError && err.code === ReportErrors.REPORT_SEND_BUSY.code) continue;
      throw err;
    }
    await enqueueEmails(
      deps,
      mails.map((m) => m.mail),
    );
    const lastId = chunk.recipients[chunk.recipients.length - 1]?.id ?? afterId;
    // A full chunk may have more after it; the next chunk finds out (and ends the send when empty).
    return { recipients: chunk.remaining ?? 0, more: chunk.recipients.length === SEND_CHUNK, lastId };
  }
  throw ReportErrors.REPORT_SEND_BUSY(input.report_id);
}

/**
 * Sends a report to every active user with `receive_email` (rules: `POST /reports/send` in
 * `routes.ts`): the first chunk now, the rest through `emails` queue messages that each send the next
 * chunk. Returns how many recipients the send has.
 */
export async function sendReport(
  deps: Deps,
  input: { report_id: number; subject: string },
  base: string,
): Promise<{ recipients: number }> {
  const { recipients, more, lastId } = await sendReportChunk(deps, input, base);
  if (more) await continueLater(deps, input, base, lastId);
  return { recipients };
}

async function continueLater(deps: Deps, input: { report_id: number; subject: string }, base: string, afterId: number) {
  const body: ReportSendMessage = {
    report_send: { report_id: input.report_id, subject: input.subject, base, after_id: afterId },
  };
  await deps.emailQueue.send(body, { contentType: "json" });
}

/**
 * The `emails` queue's report-send messages: each sends the next chunk and, while recipients remain,
 * queues the next message. A failure retries the message; a report deleted meanwhile ends its send.
 */
export async function continueReportSends(deps: Deps, messages: readonly Message<unknown>[]): Promise<void> {
  for (const message of messages) {
    if (!isReportSendMessage(message.body)) {
      message.ack();
      continue;
    }
    const send = message.body.report_send;
    try {
      const { more, lastId } = await sendReportChunk(deps, send, send.base, send.after_id ?? 0);
      if (more) await continueLater(deps, send, send.base, lastId);
      message.ack();
    } catch (err) {
      if (err instanceof AppError && err.code === ReportErrors.REPORT_NOT_FOUND.code) {
        message.ack();
        continue;
      }
      console.error(JSON.stringify({ level: "error", msg: "report send chunk failed", ...send, error: String(err) }));
      message.retry({ delaySeconds: 30 });
    }
  }
}
