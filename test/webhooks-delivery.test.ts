import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  attemptRows,
  consume,
  createEndpoint,
  deliveryRow,
  receivedBy,
  receiverUrl,
  storedEvent,
} from "./webhook-helpers";

const headersOf = (h: Record<string, string>) => ({
  "webhook-id": h["webhook-id"] ?? "",
  "webhook-timestamp": h["webhook-timestamp"] ?? "",
  "webhook-signature": h["webhook-signature"] ?? "",
});

describe("the webhook-deliveries consumer", () => {
  it("signs a delivery per Standard Webhooks, records the attempt and acks", async () => {
    const { url, tag } = receiverUrl("ok");
    const { webhook, secret } = await createEndpoint({ url });
    const eventId = await storedEvent();
    const { result, ids } = await consume([{ event_id: eventId, endpoint_id: webhook.id }]);
    expect(result.explicitAcks).toEqual(ids);
    const [got] = await receivedBy(tag);
    expect(got?.headers["content-type"]).toBe("application/json");
    expect(got?.headers["webhook-id"]).toBe(`msg_${eventId}`);
    const payload = new Webhook(secret).verify(got?.body ?? "", headersOf(got?.headers ?? {}));
    expect(payload).toMatchObject({ event: "training.created", data: { training_id: 1 } });
    const delivery = await deliveryRow(eventId, webhook.id);
    expect(delivery).toMatchObject({ status: "delivered", attempt_count: 1 });
    expect(await attemptRows(delivery?.id ?? 0)).toMatchObject([
      { response_status: 200, error: null, response_body: "thanks" },
    ]);
  });
});
