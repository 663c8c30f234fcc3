import { API_PREFIX } from "../../app-info";
import { errors, IdParam, json, jsonBody, MessageSchema } from "../../lib/openapi";
import { listOf, pageOf, paginationQuery } from "../../lib/pagination";
import { createRouter, guardedRoute } from "../../middleware/route";
import { getDelivery, listDeliveryPage, retryDelivery, sendTestEvent } from "./delivery-service";
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listEndpointPage,
  rotateSecret,
  updateEndpoint,
} from "./endpoint-service";
import { EVENT_TYPES } from "./event-types";
import {
  CreateWebhookBody,
  DeliveryDetail,
  DeliveryEnvelope,
  DeliveryList,
  DeliveryParams,
  DeliveryQuery,
  EventTypeList,
  ReplaceWebhookBody,
  UpdateWebhookBody,
  WebhookEnvelope,
  WebhookList,
  WebhookWithSecret,
} from "./schemas";

const WEBHOOKS = `${API_PREFIX}/webhooks`;
const tags = ["Webhooks"];

const TARGET_RULE =
  "`url` must be `https` (`http` only with `WEBHOOK_ALLOW_PRIVATE_TARGETS`), without credentials, and not an internal host: IP literals in private, loopback, link-local, CGNAT, multicast, reserved, IPv6 unique-local or IPv4-mapped ranges (in any notation), `localhost`, `*.local`, `*.internal` and single-label hosts are refused with 422; the same check runs before every send. `events` are names of `GET /webhooks/event-types`.";

const updateRoute = (method: "put" | "patch") =>
  guardedRoute({
    method,
    path: `${WEBHOOKS}/{id}`,
    tags,
    summary: method === "put" ? "Replace a webhook endpoint" : "Change some fields of a webhook endpoint",
    description: `${TARGET_RULE} Setting \`active\` to true turns a disabled endpoint on again and clears \`disabled_reason\`. The secret is not changed (see rotate-secret).`,
    permission: "webhooks:update",
    request: {
      params: IdParam,
      body: jsonBody(method === "put" ? ReplaceWebhookBody : UpdateWebhookBody),
    },
    responses: { 200: json(WebhookEnvelope, "The endpoint"), ...errors(404) },
  });

/** Webhook endpoints, their deliveries and the event catalog (contract, "Webhooks"). */
export const webhookRoutes = createRouter()
  .openapi(
    guardedRoute({
      method: "get",
      path: `${WEBHOOKS}/event-types`,
      tags,
      summary: "The events an endpoint may subscribe to",
      permission: "webhooks:read",
      responses: { 200: json(EventTypeList, "The catalog") },
    }),
    (c) =>
      c.json({ event_types: Object.entries(EVENT_TYPES).map(([name, description]) => ({ name, description })) }, 200),
  )
  .openapi(
    guardedRoute({
      method: "post",
      path: WEBHOOKS,
      tags,
      summary: "Create a webhook endpoint (its secret shown this once)",
      description: `${TARGET_RULE} The signing secret (\`whsec_...\`) is in this response and in rotate-secret's only; deliveries are signed with it per Standard Webhooks.`,
      permission: "webhooks:create",
      request: { body: jsonBody(CreateWebhookBody) },
      responses: { 201: json(WebhookWithSecret, "The endpoint and its secret") },
    }),
    async (c) => c.json(await createEndpoint(c.get("deps"), c.get("auth"), c.req.valid("json")), 201),
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: WEBHOOKS,
      tags,
      summary: "Webhook endpoints (without secrets)",
      permission: "webhooks:read",
      request: { query: paginationQuery },
      responses: { 200: json(WebhookList, "A page of endpoints") },
    }),
    async (c) => {
      const page = pageOf(c.req.valid("query"));
      const { rows, total } = await listEndpointPage(c.get("deps"), page);
      return c.json(listOf("webhooks", rows, total, page), 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${WEBHOOKS}/{id}`,
      tags,
      summary: "A webhook endpoint (without its secret)",
      permission: "webhooks:read",
      request: { params: IdParam },
      responses: { 200: json(WebhookEnvelope, "The endpoint"), ...errors(404) },
    }),
    async (c) => c.json({ webhook: await getEndpoint(c.get("deps"), c.req.valid("param").id) }, 200),
  )
  // PUT replaces the whole endpoint: a description it leaves out is cleared.
  .openapi(updateRoute("put"), async (c) => {
    const input = { description: null, ...c.req.valid("json") };
    return c.json({ webhook: await updateEndpoint(c.get("deps"), c.req.valid("param").id, input) }, 200);
  })
  .openapi(updateRoute("patch"), async (c) =>
    c.json({ webhook: await updateEndpoint(c.get("deps"), c.req.valid("param").id, c.req.valid("json")) }, 200),
  )
  .openapi(
    guardedRoute({
      method: "delete",
      path: `${WEBHOOKS}/{id}`,
      tags,
      summary: "Delete a webhook endpoint with its deliveries",
      permission: "webhooks:delete",
      request: { params: IdParam },
      responses: { 200: json(MessageSchema, "Deleted"), ...errors(404) },
    }),
    async (c) => {
      await deleteEndpoint(c.get("deps"), c.req.valid("param").id);
      return c.json({ message: "Webhook deleted" }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "post",
      path: `${WEBHOOKS}/{id}/rotate-secret`,
      tags,
      summary: "A new signing secret (shown this once)",
      description:
        "For 24 hours the previous secret keeps signing too: deliveries carry both signatures in `webhook-signature`, so receivers can switch without losing one.",
      permission: "webhooks:update",
      request: { params: IdParam },
      responses: { 200: json(WebhookWithSecret, "The endpoint and its new secret"), ...errors(404) },
    }),
    async (c) => c.json(await rotateSecret(c.get("deps"), c.req.valid("param").id), 200),
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${WEBHOOKS}/{id}/deliveries`,
      tags,
      summary: "An endpoint's deliveries, newest first",
      permission: "webhooks:read",
      request: { params: IdParam, query: DeliveryQuery },
      responses: { 200: json(DeliveryList, "A page of deliveries"), ...errors(404) },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const page = pageOf(query);
      const { rows, total } = await listDeliveryPage(c.get("deps"), c.req.valid("param").id, query.status, page);
      return c.json(listOf("deliveries", rows, total, page), 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${WEBHOOKS}/{id}/deliveries/{delivery_id}`,
      tags,
      summary: "A delivery with its payload and attempts",
      description:
        "Each attempt has its time, the answer's status or the network error, the duration and the first 1 KiB of the answer.",
      permission: "webhooks:read",
      request: { params: DeliveryParams },
      responses: { 200: json(DeliveryDetail, "The delivery"), ...errors(404) },
    }),
    async (c) => {
      const { id, delivery_id } = c.req.valid("param");
      return c.json({ delivery: await getDelivery(c.get("deps"), id, delivery_id) }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "post",
      path: `${WEBHOOKS}/{id}/deliveries/{delivery_id}/retry`,
      tags,
      summary: "Send a delivered or failed delivery again",
      description:
        "The delivery becomes `pending` and is queued with the same `webhook-id`, then retried on the usual schedule. A delivery still pending is 409 `DELIVERY_PENDING`, an inactive endpoint 409 `WEBHOOK_INACTIVE` (nothing changes); 503 `QUEUE_UNAVAILABLE` when the queue refuses it.",
      permission: "webhooks:update",
      request: { params: DeliveryParams },
      responses: { 202: json(DeliveryEnvelope, "Queued"), ...errors(404, 409, 503) },
    }),
    async (c) => {
      const { id, delivery_id } = c.req.valid("param");
      return c.json({ delivery: await retryDelivery(c.get("deps"), id, delivery_id) }, 202);
    },
  )
  .openapi(
    guardedRoute({
      method: "post",
      path: `${WEBHOOKS}/{id}/test`,
      tags,
      summary: "Send a webhook.test event to this endpoint",
      description:
        "A `webhook.test` event (`data: {webhook_id}`) is delivered to this endpoint only, like any other event: see it in the deliveries. An inactive endpoint is 409 `WEBHOOK_INACTIVE`; 503 `QUEUE_UNAVAILABLE` when the queue refuses it.",
      permission: "webhooks:update",
      request: { params: IdParam },
      responses: { 202: json(DeliveryEnvelope, "Queued"), ...errors(404, 409, 503) },
    }),
    async (c) => c.json({ delivery: await sendTestEvent(c.get("deps"), c.req.valid("param").id) }, 202),
  );
