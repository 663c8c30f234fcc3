/** Domain events delivered to webhooks. */
export type DomainEvent = "user.registered" | "training.created" | "registration.completed";

/**
 * The statement that records a domain event in the transactional outbox. Put it in the same
 * `batch()` as the write it describes, so the event exists exactly when the change does.
 *
 * @example
 *   await d1.batch([insertTraining, outboxStatement(d1, "training.created", { training_id: 1, title, created_by })])
 */
export function outboxStatement(d1: D1Database, event: DomainEvent, data: Record<string, unknown>, now = new Date()) {
  const payload = JSON.stringify({ event, timestamp: now.toISOString(), data });
  return d1.prepare("INSERT INTO outbox_events (event, payload) VALUES (?1, ?2)").bind(event, payload);
}
