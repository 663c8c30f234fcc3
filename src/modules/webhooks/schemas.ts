import * as z from "zod/mini";
import { doc, named } from "../../lib/openapi";
import { pageFields, paginationQuery } from "../../lib/pagination";
import { EVENT_NAMES } from "./event-types";

export const WebhookSchema = named(
  z.object({
    id: z.int(),
    url: doc(z.string(), { example: "https://hooks.example.com/identity" }),
    events: doc(z.array(z.string()), { example: ["user.registered", "training.created"] }),
    description: z.nullable(z.string()),
    active: z.boolean(),
    disabled_reason: z.nullable(z.string()),
    created_at: z.string(),
    updated_at: z.string(),
  }),
  "Webhook",
);

export type WebhookView = z.infer<typeof WebhookSchema>;

const url = doc(z.string().check(z.trim(), z.minLength(1), z.maxLength(2000)), {
  example: "https://hooks.example.com/identity",
});
const events = doc(
  z.array(z.enum(EVENT_NAMES)).check(
    z.minLength(1),
    z.maxLength(EVENT_NAMES.length),
    z.refine((e) => new Set(e).size === e.length, { message: "Each event once" }),
  ),
  { description: "Events of `GET /webhooks/event-types`", example: ["user.registered"] },
);
const description = z.nullable(z.string().check(z.trim(), z.maxLength(500)));

export const CreateWebhookBody = named(
  z.strictObject({ url, events, description: z.optional(description), active: z._default(z.boolean(), true) }),
  "CreateWebhook",
);

export type CreateWebhookInput = z.infer<typeof CreateWebhookBody>;

/** PUT: the whole endpoint (as create); PATCH: any subset. */
export const ReplaceWebhookBody = named(CreateWebhookBody, "ReplaceWebhook");
export const UpdateWebhookBody = named(
  z
    .strictObject({
      url: z.optional(url),
      events: z.optional(events),
      description: z.optional(description),
      active: z.optional(z.boolean()),
    })
    .check(z.refine((b) => Object.keys(b).length > 0, { message: "Give at least one field to update" })),
  "UpdateWebhook",
);

export type UpdateWebhookInput = z.infer<typeof UpdateWebhookBody>;

export const WebhookEnvelope = named(z.object({ webhook: WebhookSchema }), "WebhookEnvelope");

export const WebhookWithSecret = named(
  z.object({
    webhook: WebhookSchema,
    secret: doc(z.string(), { description: "The signing secret, shown this once", example: "whsec_..." }),
  }),
  "WebhookWithSecret",
);

export const WebhookList = named(z.object({ webhooks: z.array(WebhookSchema), ...pageFields }), "WebhookList");

export const EventTypeList = named(
  z.object({ event_types: z.array(z.object({ name: z.string(), description: z.string() })) }),
  "WebhookEventTypeList",
);

export const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;

export const DeliverySchema = named(
  z.object({
    id: z.int(),
    event: doc(z.string(), { example: "training.created" }),
    status: z.enum(DELIVERY_STATUSES),
    attempt_count: z.int(),
    last_attempt_at: z.nullable(z.string()),
    created_at: z.string(),
  }),
  "WebhookDelivery",
);

export type DeliveryView = z.infer<typeof DeliverySchema>;

export const AttemptSchema = named(
  z.object({
    attempted_at: z.string(),
    response_status: z.nullable(z.int()),
    error: z.nullable(z.string()),
    duration_ms: z.int(),
    response_body: doc(z.nullable(z.string()), { description: "The first 1 KiB of the answer" }),
  }),
  "WebhookAttempt",
);

export type AttemptView = z.infer<typeof AttemptSchema>;

export const DeliveryDetail = named(
  z.object({
    delivery: z.extend(DeliverySchema, {
      webhook_id: z.int(),
      delivered_at: z.nullable(z.string()),
      payload: doc(z.string(), { description: "The JSON body sent" }),
      attempts: z.array(AttemptSchema),
    }),
  }),
  "WebhookDeliveryDetail",
);

export const DeliveryEnvelope = named(z.object({ delivery: DeliverySchema }), "WebhookDeliveryEnvelope");

export const DeliveryList = named(
  z.object({ deliveries: z.array(DeliverySchema), ...pageFields }),
  "WebhookDeliveryList",
);

export const DeliveryQuery = z.extend(paginationQuery, { status: z.optional(z.enum(DELIVERY_STATUSES)) });

export const DeliveryParams = z.object({
  id: doc(z.coerce.number().check(z.int(), z.positive()), { example: 1 }),
  delivery_id: doc(z.coerce.number().check(z.int(), z.positive()), { example: 1 }),
});
