/** Cloudflare Queues take at most this many messages in one `sendBatch()`. */
export const SEND_BATCH_LIMIT = 100;

/**
 * Sends `bodies` as JSON queue messages, `SEND_BATCH_LIMIT` to a `sendBatch()` call, in order. A
 * failed call throws, leaving the later ones unsent, unless `failed` takes its error: then the rest
 * are still sent.
 */
export async function sendJsonMessages<T>(
  queue: Queue,
  bodies: readonly T[],
  failed?: (err: unknown, chunk: readonly T[]) => void,
): Promise<void> {
  for (let i = 0; i < bodies.length; i += SEND_BATCH_LIMIT) {
    const chunk = bodies.slice(i, i + SEND_BATCH_LIMIT);
    try {
      await queue.sendBatch(chunk.map((body) => ({ body, contentType: "json" as const })));
    } catch (err) {
      if (!failed) throw err;
      failed(err, chunk);
    }
  }
}
