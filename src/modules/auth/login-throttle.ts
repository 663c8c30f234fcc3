import type { Clock } from "../../lib/clock";
import { sha256Hex } from "../../lib/encoding";
import { AuthErrors } from "./errors";

/** Failures allowed before an account is slowed down. */
export const FREE_FAILURES = 5;
/** First lock after the free failures, doubled for each further failure, capped. */
export const BASE_LOCK_SECONDS = 30;
export const MAX_LOCK_SECONDS = 15 * 60;
/** How long a failure streak is remembered. */
const WINDOW_SECONDS = 60 * 60;

interface State {
  failures: number;
  lockedUntil: number;
}

/**
 * Per-account throttling of failed logins, counted in KV by a hash of the login name, whatever IP
 * the attempts come from. KV is eventually consistent across locations: the count is a brake, not an
 * exact limit.
 *
 * @example
 *   await throttle.assertNotLocked(); ...; await throttle.recordFailure()
 */
export class LoginThrottle {
  private constructor(
    private readonly kv: KVNamespace,
    private readonly key: string,
    private readonly clock: Clock,
  ) {}

  static async for(kv: KVNamespace, login: string, clock: Clock): Promise<LoginThrottle> {
    return new LoginThrottle(kv, `login-fail:${await sha256Hex(login.trim().toLowerCase())}`, clock);
  }

  private async read(): Promise<State> {
    return (await this.kv.get<State>(this.key, "json")) ?? { failures: 0, lockedUntil: 0 };
  }

  /** Throws 429 `ACCOUNT_LOCKED` with `Retry-After` while the account is locked. */
  async assertNotLocked(): Promise<void> {
    const state = await this.read();
    const wait = Math.ceil((state.lockedUntil - this.clock.now()) / 1000);
    if (wait > 0) throw AuthErrors.ACCOUNT_LOCKED(wait);
  }

  async recordFailure(): Promise<void> {
    const state = await this.read();
    const failures = state.failures + 1;
    const over = failures - FREE_FAILURES;
    const lockSeconds = over >= 0 ? Math.min(MAX_LOCK_SECONDS, BASE_LOCK_SECONDS * 2 ** over) : 0;
    const next: State = { failures, lockedUntil: lockSeconds ? this.clock.now() + lockSeconds * 1000 : 0 };
    await this.kv.put(this.key, JSON.stringify(next), { expirationTtl: WINDOW_SECONDS });
  }

  async reset(): Promise<void> {
    await this.kv.delete(this.key);
  }
}
