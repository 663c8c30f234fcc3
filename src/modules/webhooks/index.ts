/** Webhooks' public surface: the routes, the request's dispatch, the cron relay and the queue consumers. */
export { deliverWebhooks, failWebhookDeliveries } from "./consumer";
export { dispatchRecordedEvents, relayOutbox } from "./dispatch";
export { webhookRoutes } from "./routes";
