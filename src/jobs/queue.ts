import type { Bindings } from "../env";

/**
 * Queue consumer for `webhook-deliveries` and `emails`. No consumer is built yet (webhooks and email
 * are open issues): every message is acknowledged and logged so that it can't poison the queue.
 */
export async function handleQueue(batch: MessageBatch<unknown>, _env: Bindings, _ctx: ExecutionContext): Promise<void> {
  for (const message of batch.messages) {
    console.warn(JSON.stringify({ level: "warn", msg: "unhandled queue message", queue: batch.queue, id: message.id }));
    message.ack();
  }
}
