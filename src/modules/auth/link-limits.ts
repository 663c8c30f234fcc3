import type { Clock } from "../../lib/clock";
import { sha256Hex } from "../../lib/encoding";
import { HttpErrors } from "../../lib/errors";
import type { Deps } from "../../middleware/deps";

/** The window of the link-request limits. */
export const LINK_WINDOW_SECONDS = 15 * 60;
/** Emails one address can be sent per flow and window (a mailbox is not flooded). */
export const LINK_REQUESTS_PER_ADDRESS = 5;
/** Requests one IP (`CF-Connecting-IP`) can make per flow and window, whatever the addresses. */
export const LINK_REQUESTS_PER_IP = 20;

function windowOf(clock: Clock) {
  const now = Math.floor(clock.now() / 1000);
  const start = now - (now % LINK_WINDOW_SECONDS);
  return { id: start, retryAfter: start + LINK_WINDOW_SECONDS - now };
}

async function take(deps: Deps, key: string, limit: number, retryAfter: number): Promise<void> {
  const used = Number((await deps.counters.get(key)) ?? 0);
  if (used >= limit) {
    throw HttpErrors.RATE_LIMITED(`Too many requests; try again in ${retryAfter} seconds`, retryAfter);
  }
  await deps.counters.put(key, String(used + 1), { expirationTtl: LINK_WINDOW_SECONDS + 60 });
}

/**
 * Counts a request for an emailed link (`flow`: magic link, password reset, verification) against the
 * address and the client IP; 429 `RATE_LIMITED` with `Retry-After` beyond either limit. Counted in KV
 * whether or not the address exists, so the answer says nothing about it. KV is eventually
 * consistent across locations: the counts are a brake, not an exact limit.
 */
export async function countLinkRequest(deps: Deps, flow: string, email: string): Promise<void> {
  const w = windowOf(deps.clock);
  if (deps.meta.ip) await take(deps, `link:${flow}:ip:${deps.meta.ip}:${w.id}`, LINK_REQUESTS_PER_IP, w.retryAfter);
  const address = await sha256Hex(email.trim().toLowerCase());
  await take(deps, `link:${flow}:addr:${address}:${w.id}`, LINK_REQUESTS_PER_ADDRESS, w.retryAfter);
}
