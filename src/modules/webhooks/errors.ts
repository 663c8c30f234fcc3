import { defineErrors } from "../../lib/errors";

/** Every error code of webhook endpoints and deliveries. */
export const WebhookErrors = defineErrors({
  WEBHOOK_NOT_FOUND: (id: number) => ({ status: 404, detail: `Webhook with id ${id} not found` }),
  DELIVERY_NOT_FOUND: (id: number) => ({ status: 404, detail: `Delivery with id ${id} not found` }),
  DELIVERY_PENDING: (id: number) => ({
    status: 409,
    detail: `Delivery ${id} is still pending: it is being sent or waits for its next attempt`,
  }),
  WEBHOOK_INACTIVE: (id: number) => ({
    status: 409,
    detail: `Webhook ${id} is not active; set active to true to send to it again`,
  }),
  QUEUE_UNAVAILABLE: () => ({ status: 503, detail: "The delivery could not be queued; try again" }),
});
