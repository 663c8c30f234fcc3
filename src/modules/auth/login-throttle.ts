import { runBatch, runOne, type Statement } from "../../db/statement";
import { hmacSha256Hex } from "../../lib/encoding";
import type { AppError } from "../../lib/errors";
import type { Deps } from "../../middleware/deps";
import {
  ALL_SOURCES,
  type AttemptKey,
  type AttemptPolicy,
  attemptLockGuard,
  clearSourceAttemptsStatement,
  countAttemptStatement,
  lockedUntilStatement,
  releaseAttemptStatement,
  SOURCE_LOCKED,
  SUBJECT_LOCKED,
} from "./attempts-repository";
import { AuthErrors } from "./errors";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Per account and client network: five failures are free, then a lock of one minute that doubles
 * with each further failure up to 15 minutes; a streak is forgotten an hour after it began.
 */
export const PER_SOURCE: AttemptPolicy = { threshold: 5, baseMs: MINUTE, maxMs: 15 * MINUTE, windowMs: HOUR };
/**
 * Per account, whatever the source: the tenth failure within an hour suspends password checks for
 * an hour (login answers `PASSWORD_SIGNIN_SUSPENDED`; the emailed link is not counted here).
 */
export const ALL_SOURCES_POLICY: AttemptPolicy = { threshold: 10, baseMs: HOUR, maxMs: HOUR, windowMs: HOUR };
/** Names nobody has are counted in this many buckets (a keyed hash of the name), so the table stays bounded. */
export const UNKNOWN_NAME_BUCKETS = 1024;

/** A state an attempt needs: its guard (see `guardStatement`, mark `mark`) and what its failure answers. */
export interface Precondition {
  guard: Statement;
  mark: string;
  refusal: () => Promise<AppError> | AppError;
}

/** What a refused attempt answers, by which lock refused it and how long it still holds. */
export interface Refusals {
  subject: (waitSeconds: number) => AppError;
  source: (waitSeconds: number) => AppError;
}

/**
 * Failed password checks counted atomically in D1 (see "Security" in the README for the policy).
 * `reserve()` counts the attempt as a failure before the password is hashed, in one batch with the
 * locks it must respect, so parallel guesses are each counted and a refused or unrecordable attempt
 * never reaches the hash (fail closed); `releaseStatements()` join the batch of a correct password
 * and give the attempt back. A sign-in reads the account in the same batch as the reservation
 * (`reserve(read)`), counting against the account the typed name names (`SubjectLookup`), and then
 * says which subject that was (`subjectIs()`).
 *
 * @example
 *   const throttle = new AttemptThrottle(deps, { kind: "password_change", subject: `user:${id}` }, refusals);
 *   await throttle.reserve(); ...verify...; runBatch(d1, [...writes, ...throttle.releaseStatements()])
 */
export class AttemptThrottle {
  private key: AttemptKey;

  constructor(
    private readonly deps: Deps,
    key: Omit<AttemptKey, "source">,
    private readonly refusals: Refusals,
  ) {
    this.key = { ...key, source: sourceOf(deps.meta.ip) };
  }

  /**
   * Counts this attempt, or throws the refusal of the lock that holds (nothing counted then). `reads`
   * run first in the same batch (one round trip); their rows are returned.
   */
  reserve<Row>(...reads: Statement<Row>[]): Promise<Row[][]> {
    return this.reserveIf(undefined, ...reads);
  }

  /**
   * `reserve()` for an attempt that only makes sense in some state (a second factor that is on, a
   * user still active): the `precondition`'s guard leads the batch, and when it fails nothing is
   * counted and its refusal is thrown, as a request refused before the check.
   */
  async reserveIf<Row>(precondition: Precondition | undefined, ...reads: Statement<Row>[]): Promise<Row[][]> {
    const { d1, clock } = this.deps;
    const now = clock.now();
    const statements: Statement<unknown>[] = [
      ...reads,
      ...(precondition ? [precondition.guard] : []),
      attemptLockGuard(d1, SUBJECT_LOCKED, this.key, ALL_SOURCES, now),
      attemptLockGuard(d1, SOURCE_LOCKED, this.key, this.key.source, now),
      countAttemptStatement(d1, this.key, ALL_SOURCES, ALL_SOURCES_POLICY, now),
      countAttemptStatement(d1, this.key, this.key.source, PER_SOURCE, now),
    ];
    // The guards only tell which lock refused (their error is replaced); how long it holds is read
    // afterwards, on refusal only.
    let refused: "subject" | "source" | "precondition" | undefined;
    const marker = (which: "subject" | "source" | "precondition") => () => {
      refused = which;
      return AuthErrors.ACCOUNT_LOCKED(0);
    };
    try {
      const results = await runBatch(d1, statements, {
        guards: {
          [SUBJECT_LOCKED]: marker("subject"),
          [SOURCE_LOCKED]: marker("source"),
          ...(precondition ? { [precondition.mark]: marker("precondition") } : {}),
        },
      });
      return results.slice(0, reads.length) as Row[][];
    } catch (err) {
      if (!refused) throw err;
      if (refused === "precondition") throw await (precondition as Precondition).refusal();
      const lock = refused;
      const [row] = await runOne(
        d1,
        lockedUntilStatement(d1, this.key, lock === "subject" ? ALL_SOURCES : this.key.source),
      );
      throw this.refusals[lock](Math.max(1, Math.ceil(((row?.until ?? 0) - now) / 1000)));
    }
  }

  /** The subject a `SubjectLookup` found (`user:<id>`, or its `otherwise`), for `releaseStatements()`. */
  subjectIs(subject: string): void {
    this.key = { ...this.key, subject };
  }

  /** For the batch of a correct password: this source's streak ends, and the reserved attempt is given back. */
  releaseStatements(): Statement[] {
    const { subject } = this.key;
    if (typeof subject !== "string") throw new Error("releaseStatements() before subjectIs()");
    const key = { ...this.key, subject };
    return [
      clearSourceAttemptsStatement(this.deps.d1, key),
      releaseAttemptStatement(this.deps.d1, key, ALL_SOURCES_POLICY.threshold),
    ];
  }
}

/**
 * The client network an attempt is counted under: an IPv4 address, the /64 of an IPv6 address (one
 * subscriber holds a whole /64), or "" when the request carries no `CF-Connecting-IP`.
 */
export function sourceOf(ip: string | null): string {
  if (!ip) return "";
  if (!ip.includes(":")) return ip;
  if (ip.includes(".")) return ip.slice(ip.lastIndexOf(":") + 1); // IPv4-mapped (::ffff:a.b.c.d)
  const [head = "", tail = ""] = ip.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = ip.includes("::") && tail ? tail.split(":") : [];
  const groups = ip.includes("::")
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/**
 * HMAC-SHA256 of a typed login name under the pepper, in hex: how a name nobody has is recorded
 * (people type passwords into the name field, so the text is never stored) and bucketed.
 */
export async function loginNameDigest(name: string, pepper: string): Promise<string> {
  return hmacSha256Hex(pepper, `login-name:${name.trim().toLowerCase()}`);
}

/** The throttle subject of a name nobody has: one of `UNKNOWN_NAME_BUCKETS` buckets of its digest. */
export function unknownNameSubject(digest: string): string {
  return `unknown:${Number.parseInt(digest.slice(0, 8), 16) % UNKNOWN_NAME_BUCKETS}`;
}
