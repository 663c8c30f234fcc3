import type { UserRef } from "../../db/sql";
import { runBatch, runOne, type Statement } from "../../db/statement";
import { isoAt, isoNow } from "../../lib/clock";
import type { Page } from "../../lib/pagination";
import { sendJsonMessages } from "../../lib/queue";
import type { Deps } from "../../middleware/deps";
import {
  claimEmailStatement,
  claimStaleQueuedEmailsStatement,
  emailStateStatement,
  insertEmailStatement,
  listEmails,
  markFailedStatement,
  markSentStatement,
  recordFailureStatement,
} from "./email-repository";
import { type EmailKind, renderEmail } from "./templates";
import { transportOf } from "./transports";

/** The body of an `emails` queue message: which stored email to send (never its content). */
export interface EmailMessageBody {
  key: string;
}

/** What the caller wants sent. */
export interface EmailRequest {
  kind: EmailKind;
  to: string;
  /** The recipient (null: none), possibly inserted in the same batch. */
  user: UserRef | null;
  /** The greeting's name. */
  name: string;
  link: string;
  validMinutes: number;
  /** The one-time token inside `link`: removed from the stored body once a real transport has sent it. */
  secret: string | null;
  /** An email change's new address, for the notice to the old one. */
  newEmail?: string | undefined;
}

/** An email whose content the caller wrote (a report), with extra headers. */
export interface PreparedEmailRequest {
  kind: EmailKind | "report";
  to: string;
  user: UserRef | null;
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string> | undefined;
  /** A token inside the body, removed from the stored body once a real transport has sent it. */
  secret: string | null;
}

/** A queued email: its statement joins the caller's batch; `enqueue()` runs after the batch. */
export interface QueuedEmail {
  /** The queue message's reference, also `emails.message_key`. */
  messageKey: string;
  statements: Statement[];
  /** Sends the queue message for the stored email; call it once the batch has committed. */
  enqueue(): Promise<void>;
}

/**
 * The one way to send an email: the rendered message is stored (status `queued`) by a statement of the
 * caller's batch, so it exists exactly when the change that causes it does; the queue message that
 * makes the consumer send it goes after the batch.
 *
 * @example
 *   const mail = queueEmail(deps, { kind: "magic_link", to, user: id, name, link, validMinutes: 15, secret: token });
 *   await runBatch(deps.d1, [...writes, ...mail.statements]);
 *   await mail.enqueue();
 */
export function queueEmail(deps: Deps, req: EmailRequest): QueuedEmail {
  const rendered = renderEmail(req.kind, {
    name: req.name,
    link: req.link,
    validMinutes: req.validMinutes,
    newEmail: req.newEmail,
  });
  return queuePreparedEmail(deps, { kind: req.kind, to: req.to, user: req.user, ...rendered, secret: req.secret });
}

/**
 * `queueEmail()` for a message the caller composed (subject, text, HTML, extra headers).
 *
 * @example
 *   const mails = recipients.map((r) => queuePreparedEmail(deps, { kind: "report", to: r.email, user: r.id, subject, text, html, headers, secret: null }));
 *   await runBatch(deps.d1, [...writes, ...mails.flatMap((m) => m.statements)]);
 *   await enqueueEmails(deps, mails);
 */
export function queuePreparedEmail(deps: Deps, req: PreparedEmailRequest): QueuedEmail {
  const messageKey = crypto.randomUUID();
  const stmt = insertEmailStatement(
    deps.d1,
    {
      messageKey,
      kind: req.kind,
      to: req.to,
      user: req.user,
      subject: req.subject,
      text: req.text,
      html: req.html,
      secret: req.secret,
      headers: req.headers,
    },
    isoNow(deps.clock),
  );
  return {
    messageKey,
    statements: [stmt],
    enqueue: () => enqueueEmails(deps, [messageKey]),
  };
}

/**
 * Sends the queue messages of emails stored by a committed batch, 100 per call. A failure leaves the
 * emails `queued` in D1 (the every-minute relay sends them) and is logged; the request itself
 * succeeded, and the other calls are still made.
 */
export function enqueueEmails(deps: Deps, mails: readonly (QueuedEmail | string)[]): Promise<void> {
  const bodies = mails.map((m): EmailMessageBody => ({ key: typeof m === "string" ? m : m.messageKey }));
  return sendJsonMessages(deps.emailQueue, bodies, (err, chunk) =>
    console.error(
      JSON.stringify({ level: "error", msg: "email enqueue failed", keys: chunk.length, error: String(err) }),
    ),
  );
}

/** `GET /admin/emails`: newest first. */
export async function listEmailPage(deps: Deps, page: Page) {
  return listEmails(deps.db, page);
}

/** Seconds before attempt `attempts + 1`: 30 s, 2 min, 8 min, 32 min, then hourly. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(3600, 30 * 4 ** Math.max(0, attempts - 1));
}

function messageKeyOf(body: unknown): string | undefined {
  const key = (body as Partial<EmailMessageBody> | null)?.key;
  return typeof key === "string" && key.length <= 64 ? key : undefined;
}

/**
 * How long a consumer holds an email it is sending (`emails.lease_until`): longer than a send may
 * take (the HTTP transport gives up after 10 s), short enough that an email whose consumer died
 * mid-send goes out again within minutes.
 */
export const EMAIL_LEASE_SECONDS = 60;

/**
 * The `emails` queue consumer: sends each message's email once. Each message claims its email with
 * a lease before sending, so that two messages for one email (Queues delivers at least once; the
 * relay may enqueue it again) never send it at the same time: the one that finds the lease taken is
 * retried when the lease ends. A message whose email is no longer queued (sent by an earlier
 * delivery) is acknowledged without sending; a failure is recorded, the lease ended and the message
 * retried with a growing delay; each message is acknowledged on its own.
 */
export async function deliverEmails(deps: Deps, batch: MessageBatch<unknown>): Promise<void> {
  const { config } = deps;
  const transport = transportOf(config, deps.sendEmail);
  const redact = config.email.transport !== "record";
  for (const message of batch.messages) {
    const key = messageKeyOf(message.body);
    if (!key) {
      console.warn(JSON.stringify({ level: "warn", msg: "malformed email message", id: message.id }));
      message.ack();
      continue;
    }
    const now = deps.clock.now();
    const at = isoAt(now);
    const [[email], [state]] = await runBatch(deps.d1, [
      claimEmailStatement(deps.d1, key, at, isoAt(now + EMAIL_LEASE_SECONDS * 1000)),
      emailStateStatement(deps.d1, key),
    ]);
    if (!email) {
      if (state?.status === "queued" && state.lease_until !== null && state.lease_until > at) {
        // Another message's consumer is sending it now: look again when its lease ends.
        message.retry({ delaySeconds: Math.ceil((Date.parse(state.lease_until) - now) / 1000) });
      } else message.ack();
      continue;
    }
    try {
      const headers = email.headers ? (JSON.parse(email.headers) as Record<string, string>) : undefined;
      await transport({ from: config.email.from, to: email.to_address, ...email, headers });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      await runOne(deps.d1, recordFailureStatement(deps.d1, email.id, reason, isoNow(deps.clock)));
      console.warn(JSON.stringify({ level: "warn", msg: "email attempt failed", id: email.id, reason }));
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
      continue;
    }
    await runOne(deps.d1, markSentStatement(deps.d1, email.id, redact, isoNow(deps.clock)));
    if (!redact && email.kind === "magic_link" && config.environment === "development") {
      // Local runs only (`npm run dev` with the record transport): the developer clicks the link here.
      const link = /https?:\/\/\S+/.exec(email.text)?.[0];
      console.log(`\n  Magic link for ${email.to_address}: ${link}\n`);
    }
    message.ack();
  }
}

/** The `emails-dlq` consumer: a message that used up its retries marks its email `failed`. */
export async function failEmails(deps: Deps, batch: MessageBatch<unknown>): Promise<void> {
  const redact = deps.config.email.transport !== "record";
  const at = isoNow(deps.clock);
  const keys = batch.messages.map((m) => messageKeyOf(m.body)).filter((k): k is string => k !== undefined);
  if (keys.length)
    await runBatch(
      deps.d1,
      keys.map((k) => markFailedStatement(deps.d1, k, redact, at)),
    );
  // This queue also carries report sends' continuations: one that used up its retries left its
  // remaining recipients unsent, which only this line tells (its body names the report and subject).
  const others = batch.messages.filter((m) => messageKeyOf(m.body) === undefined);
  if (others.length) {
    console.error(
      JSON.stringify({
        level: "error",
        msg: "dead-lettered messages that are not emails (a report send's continuation: its remaining recipients were not emailed)",
        messages: others.map((m) => ({ id: m.id, body: m.body })),
      }),
    );
  }
  for (const message of batch.messages) message.ack();
}

/** An email still untouched this long after its batch is taken for lost and sent to the queue again. */
export const EMAIL_RELAY_GRACE_SECONDS = 120;
/** Emails re-sent to the queue per relay run at most. */
const EMAIL_RELAY_LIMIT = 500;

/**
 * The every-minute relay (cron) of emails whose queue message was lost (the send after their batch
 * failed, or the Worker stopped before it): claims them with one conditional UPDATE and enqueues
 * them again. The consumer sends an email only while it is `queued`, so a late original message
 * finds it sent. Returns how many it relayed.
 */
export async function relayQueuedEmails(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  const claimed = await runOne(
    deps.d1,
    claimStaleQueuedEmailsStatement(
      deps.d1,
      isoAt(now),
      isoAt(now - EMAIL_RELAY_GRACE_SECONDS * 1000),
      EMAIL_RELAY_LIMIT,
    ),
  );
  if (claimed.length)
    await enqueueEmails(
      deps,
      claimed.map((r) => r.message_key),
    );
  return claimed.length;
}
