import type { Clock } from "../../lib/clock";
import { OAuthErrors } from "./errors";

/** How long any request to a provider may take. */
export const PROVIDER_TIMEOUT_MS = 10_000;

/** Loopback hosts, where plain `http` is allowed (a local issuer for development). */
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** True for an `https` URL, or an `http` one on this machine's loopback. */
export function isAllowedEndpoint(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === "https:" || (u.protocol === "http:" && LOOPBACK.has(u.hostname));
  } catch {
    return false;
  }
}

/**
 * A request to a provider through the Worker's `fetch`, within `PROVIDER_TIMEOUT_MS`; any failure to
 * answer (network, timeout) and any non-2xx is 400 `OAUTH_PROVIDER_ERROR` naming `what` was asked.
 * Returns the parsed JSON body.
 */
export async function providerJson(
  provider: string,
  what: string,
  url: string,
  init: RequestInit = {},
): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    throw OAuthErrors.OAUTH_PROVIDER_ERROR(provider, `${what} ${timedOut ? "timed out" : "could not be reached"}`);
  }
  const body = await res.json().catch(() => undefined);
  if (!res.ok) {
    const code = errorCodeOf(body);
    throw OAuthErrors.OAUTH_PROVIDER_ERROR(provider, `${what} answered ${res.status}${code ? ` (${code})` : ""}`);
  }
  if (body === undefined) throw OAuthErrors.OAUTH_PROVIDER_ERROR(provider, `${what} did not answer JSON`);
  return body;
}

/** The OAuth `error` code of a provider's answer, when it has one (cut and cleaned for a message). */
export function errorCodeOf(body: unknown): string | undefined {
  const code = (body as { error?: unknown } | undefined)?.error;
  return typeof code === "string" ? code.replace(/[^\w.-]/g, "").slice(0, 64) : undefined;
}

/** A value cached for a while in this isolate, by key (discovery documents, key sets). */
export class TimedCache<T> {
  private readonly entries = new Map<string, { value: T; at: number }>();
  constructor(private readonly ttlMs: number) {}

  get(key: string, clock: Clock): { value: T; ageMs: number } | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    const ageMs = clock.now() - hit.at;
    if (ageMs < 0 || ageMs >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return { value: hit.value, ageMs };
  }

  set(key: string, value: T, clock: Clock): void {
    this.entries.set(key, { value, at: clock.now() });
  }
}
