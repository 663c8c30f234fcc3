/**
 * The one source of time. `createApp({ clock })` takes it and every service reads it through
 * `deps.clock`; nothing else calls `Date.now()` or `new Date()` for a value it stores or compares,
 * so tests move time by moving the clock.
 *
 * @example
 *   const at = isoAt(deps.clock.now() + ttlSeconds * 1000)
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The real time. */
export const systemClock: Clock = { now: () => Date.now() };

/** `ms` as stored everywhere: ISO 8601 UTC with milliseconds and `Z` (`2026-11-23T10:00:00.000Z`). */
export const isoAt = (ms: number): string => new Date(ms).toISOString();

/** The clock's current time, as stored. */
export const isoNow = (clock: Clock): string => isoAt(clock.now());
