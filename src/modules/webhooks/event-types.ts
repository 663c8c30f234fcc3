import type { DomainEvent } from "../../db/outbox";

/** The events an endpoint may subscribe to (`GET /webhooks/event-types`), with what each means. */
export const EVENT_TYPES: Record<DomainEvent, string> = {
  "user.registered": "A user registered (POST /auth/register).",
  "user.updated": "A user's profile, roles or status changed.",
  "user.deactivated": "A user was deactivated (deleted, or its status toggled off).",
  "training.created": "A training was created.",
  "training.updated": "A training was changed.",
  "training.deleted": "A training was deleted.",
  "registration.created": "A user was registered for a training.",
  "registration.cancelled": "A registration was cancelled.",
  "registration.completed": "A registration reached COMPLETED.",
  "progress.updated": "A user's progress on a learning module changed.",
  "report.generated": "A report was generated.",
};

export const EVENT_NAMES = Object.keys(EVENT_TYPES) as [DomainEvent, ...DomainEvent[]];

/** The event `POST /webhooks/{id}/test` sends; nobody subscribes to it. */
export const TEST_EVENT = "webhook.test";
