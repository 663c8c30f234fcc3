import type { Bindings } from "../env";
import { systemClock } from "../lib/clock";
import { depsOf } from "../middleware/deps";
import { deliverEmails, failEmails } from "../modules/email";
import { continueReportSends, isReportSendMessage } from "../modules/reports";
import { deliverWebhooks, failWebhookDeliveries } from "../modules/webhooks";

/** The consumer of each queue (see `wrangler.toml`), by queue name. */
const CONSUMERS: Record<string, (deps: ReturnType<typeof depsOf>, batch: MessageBatch<unknown>) => Promise<void>> = {
  emails: async (deps, batch) => {
    // The emails queue also carries the continuation of report sends (each sends the next recipients).
    const sends = batch.messages.filter((m) => isReportSendMessage(m.body));
    if (sends.length) await continueReportSends(deps, sends);
    const mails = batch.messages.filter((m) => !isReportSendMessage(m.body));
    if (mails.length) await deliverEmails(deps, sends.length ? withMessages(batch, mails) : batch);
  },
  "emails-dlq": failEmails,
  "webhook-deliveries": deliverWebhooks,
  "webhook-deliveries-dlq": failWebhookDeliveries,
};

/**
 * Queue consumer: dispatches each batch to its module. A queue without a consumer has every message
 * acknowledged and logged so that it can't poison the queue.
 */
export async function handleQueue(batch: MessageBatch<unknown>, env: Bindings, _ctx: ExecutionContext): Promise<void> {
  const consume = CONSUMERS[batch.queue];
  if (consume) return consume(depsOf(env, systemClock), batch);
  for (const message of batch.messages) {
    console.warn(JSON.stringify({ level: "warn", msg: "unhandled queue message", queue: batch.queue, id: message.id }));
    message.ack();
  }
}

/** `batch` with only `messages` (its other messages handled elsewhere). */
function withMessages(batch: MessageBatch<unknown>, messages: readonly Message<unknown>[]): MessageBatch<unknown> {
  return {
    queue: batch.queue,
    metadata: batch.metadata,
    messages,
    ackAll: () => {
      for (const m of messages) m.ack();
    },
    retryAll: (options?: QueueRetryOptions) => {
      for (const m of messages) m.retry(options);
    },
  };
}
