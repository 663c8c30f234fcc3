import { runBatch, runOne, theRow } from "../../db/statement";
import { isoNow } from "../../lib/clock";
import type { Page } from "../../lib/pagination";
import type { Deps } from "../../middleware/deps";
import {
  ENDPOINT_INACTIVE,
  endpointActiveGuard,
  findDeliveryWithAttempts,
  insertTestDeliveryStatement,
  insertTestEventStatement,
  listDeliveries,
  reopenDeliveryStatement,
  restoreDeliveryStatement,
} from "./delivery-repository";
import { enqueueDeliveries } from "./dispatch";
import { findEndpoint } from "./endpoint-repository";
import { WebhookErrors } from "./errors";
import { TEST_EVENT } from "./event-types";
import type { DeliveryView } from "./schemas";

/** `GET /webhooks/{id}/deliveries`. */
export async function listDeliveryPage(
  deps: Deps,
  endpointId: number,
  status: DeliveryView["status"] | undefined,
  page: Page,
) {
  const { exists, rows, total } = await listDeliveries(deps.db, endpointId, status, page);
  if (!exists) throw WebhookErrors.WEBHOOK_NOT_FOUND(endpointId);
  return { rows, total };
}

/** `GET /webhooks/{id}/deliveries/{delivery_id}`. */
export async function getDelivery(deps: Deps, endpointId: number, deliveryId: number) {
  const delivery = await findDeliveryWithAttempts(deps.db, endpointId, deliveryId);
  if (!delivery) throw WebhookErrors.DELIVERY_NOT_FOUND(deliveryId);
  return delivery;
}

/** Queues a delivery that was just (re)opened; when the queue refuses, puts it back and answers 503. */
async function enqueueOpened(
  deps: Deps,
  endpointId: number,
  opened: DeliveryView & { event_id: number },
  previous: DeliveryView["status"],
): Promise<DeliveryView> {
  try {
    await enqueueDeliveries(deps.webhookQueue, [{ event_id: opened.event_id, endpoint_id: endpointId }]);
  } catch (err) {
    await runOne(deps.d1, restoreDeliveryStatement(deps.d1, opened.id, previous));
    console.error(
      JSON.stringify({ level: "error", msg: "webhook enqueue failed", delivery: opened.id, error: String(err) }),
    );
    throw WebhookErrors.QUEUE_UNAVAILABLE();
  }
  const { event_id: _, ...view } = opened;
  return view;
}

/** `POST /webhooks/{id}/deliveries/{delivery_id}/retry` (see the route). */
export async function retryDelivery(deps: Deps, endpointId: number, deliveryId: number): Promise<DeliveryView> {
  const current = await findDeliveryWithAttempts(deps.db, endpointId, deliveryId);
  if (!current) throw WebhookErrors.DELIVERY_NOT_FOUND(deliveryId);
  // An inactive endpoint is sent nothing (the consumer would drop the delivery): 409, as for /test.
  const [, [reopened]] = await runBatch(
    deps.d1,
    [
      endpointActiveGuard(deps.d1, endpointId),
      reopenDeliveryStatement(deps.d1, endpointId, deliveryId, current.status, isoNow(deps.clock)),
    ],
    { guards: { [ENDPOINT_INACTIVE]: () => WebhookErrors.WEBHOOK_INACTIVE(endpointId) } },
  );
  if (!reopened) throw WebhookErrors.DELIVERY_PENDING(deliveryId);
  return enqueueOpened(deps, endpointId, reopened, current.status);
}

/** `POST /webhooks/{id}/test` (see the route): a `webhook.test` event delivered to this endpoint only. */
export async function sendTestEvent(deps: Deps, endpointId: number): Promise<DeliveryView> {
  const endpoint = await findEndpoint(deps.db, endpointId);
  if (!endpoint) throw WebhookErrors.WEBHOOK_NOT_FOUND(endpointId);
  if (!endpoint.active) throw WebhookErrors.WEBHOOK_INACTIVE(endpointId);
  const at = isoNow(deps.clock);
  const payload = JSON.stringify({ event: TEST_EVENT, timestamp: at, data: { webhook_id: endpointId } });
  const [, inserted] = await runBatch(
    deps.d1,
    [insertTestEventStatement(deps.d1, payload, at), insertTestDeliveryStatement(deps.d1, endpointId, at)],
    { foreignKey: () => WebhookErrors.WEBHOOK_NOT_FOUND(endpointId) },
  );
  return enqueueOpened(deps, endpointId, theRow(inserted, "test delivery insert"), "failed");
}
