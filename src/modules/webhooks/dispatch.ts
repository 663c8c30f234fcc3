import type { Context, MiddlewareHandler, Next } from "hono";
import { type RecordedEvent, tapOutbox } from "../../db/outbox";
import { jsonIds } from "../../db/sql";
import { runOne } from "../../db/statement";
import type { AppEnv } from "../../env";
import { isoAt } from "../../lib/clock";
import { sendJsonMessages } from "../../lib/queue";
import { afterResponse } from "../../middleware/background";
import { type Deps, depsOver } from "../../middleware/deps";
import { claimEventsStatement, type DeliveryKey, markDispatchedStatement } from "./delivery-repository";

/** How long the relay leaves a request's event to the request's own dispatch, and how long its claim lasts. */
const RELAY_GRACE_SECONDS = 120;
const RELAY_LEASE_SECONDS = 120;
/** Events the relay claims per round, and rounds per run. */
const RELAY_CLAIM = 100;
const RELAY_ROUNDS = 10;

/** One message per (event, endpoint): the deliveries of `events`. */
function deliveryMessages(events: readonly RecordedEvent[]): DeliveryKey[] {
  return events.flatMap((e) => jsonIds(e.endpoint_ids).map((endpoint_id) => ({ event_id: e.id, endpoint_id })));
}

/** Sends one queue message per delivery, 100 to a call; the first failed call throws. */
export function enqueueDeliveries(queue: Queue, keys: readonly DeliveryKey[]): Promise<void> {
  return sendJsonMessages(queue, keys);
}

/**
 * Dispatches, after the response, the events the request's batches recorded (`tapOutbox()` hands
 * them over from the outbox inserts' own results, so this adds no D1 round trip). A failed send is
 * logged; the relay sends those events later. Reads are let through untouched, except the GETs that
 * `writingGets` matches (a sign-in callback that creates the user): their events would otherwise
 * wait for the relay.
 */
export function dispatchRecordedEvents(writingGets?: RegExp): MiddlewareHandler<AppEnv> {
  return function dispatchRecordedEventsMiddleware(c, next) {
    const method = c.req.method;
    const read = method === "GET" || method === "HEAD" || method === "OPTIONS";
    return read && !(method === "GET" && writingGets?.test(c.req.path)) ? next() : dispatchAfter(c, next);
  };
}

/** Runs the rest of a request that may record events, then dispatches what it recorded. */
async function dispatchAfter(c: Context<AppEnv>, next: Next): Promise<void> {
  const recorded: RecordedEvent[] = [];
  const deps = c.get("deps");
  c.set("deps", depsOver(deps, tapOutbox(deps.d1, recorded)));
  await next();
  const keys = deliveryMessages(recorded);
  if (keys.length === 0) return;
  await afterResponse(
    c,
    enqueueDeliveries(deps.webhookQueue, keys).catch((err) => {
      console.error(
        JSON.stringify({
          level: "error",
          msg: "webhook dispatch failed; the relay will send it",
          events: recorded.map((e) => e.id),
          error: String(err),
        }),
      );
    }),
  );
}

/**
 * The every-minute relay (cron): claims the events that no request dispatched (a crash, a queue
 * error, or an event recorded outside a request) with one conditional UPDATE, sends their deliveries
 * to the currently subscribed endpoints and marks them dispatched. A run that fails to send leaves
 * its claim to expire, and a later run sends them. Returns how many events it relayed.
 */
export async function relayOutbox(deps: Deps): Promise<number> {
  let relayed = 0;
  for (let round = 0; round < RELAY_ROUNDS; round++) {
    const now = deps.clock.now();
    const claimed = await runOne(
      deps.d1,
      claimEventsStatement(
        deps.d1,
        isoAt(now),
        isoAt(now - RELAY_GRACE_SECONDS * 1000),
        isoAt(now + RELAY_LEASE_SECONDS * 1000),
        RELAY_CLAIM,
      ),
    );
    if (claimed.length === 0) break;
    await enqueueDeliveries(deps.webhookQueue, deliveryMessages(claimed));
    await runOne(
      deps.d1,
      markDispatchedStatement(
        deps.d1,
        claimed.map((e) => e.id),
        isoAt(deps.clock.now()),
      ),
    );
    relayed += claimed.length;
    if (claimed.length < RELAY_CLAIM) break;
  }
  return relayed;
}
