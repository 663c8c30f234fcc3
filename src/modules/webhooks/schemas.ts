import { z } from "@hono/zod-openapi";
import { pageFields, paginationQuery } from "../../lib/pagination";
import { EVENT_NAMES } from "./event-types";

export const WebhookSchema = z
  .object({
    id: z.number().int(),
    url: z.string().openapi({ example: "https://hooks.example.com/identity" }),
    events: z.array(z.string()).openapi({ example: ["user.registered", "training.created"] }),
    description: z.string().nullable(),
    active: z.boolean(),
    disabled_reason: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Webhook");

export type WebhookView = z.infer<typeof WebhookSchema>;

const url = z.string().trim().min(1).max(2000).openapi({ example: "https://hooks.example.com/identity" });
const events = z
  .array(z.enum(EVENT_NAMES))
  .min(1)
  .max(EVENT_NAMES.length)
  .refine((e) => new Set(e).size === e.length, { message: "Each event once" })
  .openapi({ description: "Events of `GET /webhooks/event-types`", example: ["user.registered"] });
const description = z.string().trim().max(500).nullable();

export const CreateWebhookBody = z
  .object({ url, events, description: description.optional(), active: z.boolean().default(true) })
  .strict()
  .openapi("CreateWebhook");

export type CreateWebhookInput = z.infer<typeof CreateWebhookBody>;

/** PUT: the whole endpoint (as create); PATCH: any subset. */
export const ReplaceWebhookBody = CreateWebhookBody.openapi("ReplaceWebhook");
export const UpdateWebhookBody = z
  .object({
    url: url.optional(),
    events: events.optional(),
    description: description.optional(),
    active: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "Give at least one field to update" })
  .openapi("UpdateWebhook");

export type UpdateWebhookInput = z.infer<typeof UpdateWebhookBody>;

export const WebhookEnvelope = z.object({ webhook: WebhookSchema }).openapi("WebhookEnvelope");

export const WebhookWithSecret = z
  .object({
    webhook: WebhookSchema,
    secret: z.string().openapi({ description: "The signing secret, shown this once", example: "whsec_..." }),
  })
  .openapi("WebhookWithSecret");

export const WebhookList = z.object({ webhooks: z.array(WebhookSchema), ...pageFields }).openapi("WebhookList");

export const EventTypeList = z
  .object({ event_types: z.array(z.object({ name: z.string(), description: z.string() })) })
  .openapi("WebhookEventTypeList");

export const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;

export const DeliverySchema = z
  .object({
    id: z.number().int(),
    event: z.string().openapi({ example: "training.created" }),
    status: z.enum(DELIVERY_STATUSES),
    attempt_count: z.number().int(),
    last_attempt_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("WebhookDelivery");

export type DeliveryView = z.infer<typeof DeliverySchema>;

export const AttemptSchema = z
  .object({
    attempted_at: z.string(),
    response_status: z.number().int().nullable(),
    error: z.string().nullable(),
    duration_ms: z.number().int(),
    response_body: z.string().nullable().openapi({ description: "The first 1 KiB of the answer" }),
  })
  .openapi("WebhookAttempt");

export type AttemptView = z.infer<typeof AttemptSchema>;

export const DeliveryDetail = z
  .object({
    delivery: DeliverySchema.extend({
      webhook_id: z.number().int(),
      delivered_at: z.string().nullable(),
      payload: z.string().openapi({ description: "The JSON body sent" }),
      attempts: z.array(AttemptSchema),
    }),
  })
  .openapi("WebhookDeliveryDetail");

export const DeliveryEnvelope = z.object({ delivery: DeliverySchema }).openapi("WebhookDeliveryEnvelope");

export const DeliveryList = z
  .object({ deliveries: z.array(DeliverySchema), ...pageFields })
  .openapi("WebhookDeliveryList");

export const DeliveryQuery = paginationQuery.extend({ status: z.enum(DELIVERY_STATUSES).optional() });

export const DeliveryParams = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: "id", in: "path" }, example: 1 }),
  delivery_id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: "delivery_id", in: "path" }, example: 1 }),
});
