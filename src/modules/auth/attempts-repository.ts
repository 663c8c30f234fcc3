import { guardStatement, type Statement, statement } from "../../db/statement";

/** Where a password (or second-factor code) check is counted: its kind, the account (or unknown-name bucket) and the client network. */
export interface AttemptKey {
  kind: "login" | "password_change" | "mfa";
  subject: AttemptSubject;
  source: string;
}

/**
 * Whom an attempt counts against: `user:<id>`, `unknown:<bucket>`, or the account a typed login
 * name names, looked up in the same statement (as `findCredentials` does: case-insensitive, by
 * email or username), else the unknown-name bucket `otherwise`. The lookup lets a sign-in read the
 * account and reserve its attempt in one batch.
 */
export type AttemptSubject = string | SubjectLookup;
export interface SubjectLookup {
  column: "email" | "username";
  name: string;
  otherwise: string;
}

/** SQL for `subject`, its parameters bound from `?<first>` on. */
function subjectSql(subject: AttemptSubject, first: number): { sql: string; params: unknown[] } {
  if (typeof subject === "string") return { sql: `?${first}`, params: [subject] };
  const column = subject.column === "email" ? "email" : "username";
  return {
    sql: `COALESCE((SELECT 'user:' || id FROM users WHERE lower(${column}) = lower(?${first}) ORDER BY id LIMIT 1), ?${first + 1})`,
    params: [subject.name, subject.otherwise],
  };
}

/** How one row counts: free failures, then a lock of `baseMs` doubling per further failure up to `maxMs`. */
export interface AttemptPolicy {
  threshold: number;
  baseMs: number;
  maxMs: number;
  /** A row's failures are forgotten this long after its first one (when it is not locked). */
  windowMs: number;
}

/** The `source` of the row that counts every source of a subject. */
export const ALL_SOURCES = "*";

/** Guard marks: the batch that reserves an attempt fails with one of these when a lock holds. */
export const SUBJECT_LOCKED = "SUBJECT_LOCKED";
export const SOURCE_LOCKED = "SOURCE_LOCKED";

/** Fails its batch (mark `mark`) while the row of `key` with `source` is locked at `now`. */
export function attemptLockGuard(
  d1: D1Database,
  mark: string,
  key: AttemptKey,
  source: string,
  now: number,
): Statement {
  const subject = subjectSql(key.subject, 4);
  return guardStatement(
    d1,
    mark,
    `EXISTS (SELECT 1 FROM login_attempts WHERE kind = ?1 AND subject = ${subject.sql} AND source = ?2 AND locked_until_ms > ?3)`,
    key.kind,
    source,
    now,
    ...subject.params,
  );
}

/**
 * Counts one attempt on a row (created at 1): a new window once the last one has passed, and the
 * lock that the new count earns. One statement, so concurrent attempts are each counted (SQLite
 * serializes writes; every expression reads the row as it was before this update).
 */
export function countAttemptStatement(
  d1: D1Database,
  key: AttemptKey,
  source: string,
  policy: AttemptPolicy,
  now: number,
): Statement {
  const stale = "window_started_ms <= ?3 - ?4";
  const next = `(CASE WHEN ${stale} THEN 1 ELSE failures + 1 END)`;
  const lockFor = (count: string) =>
    `CASE WHEN ${count} >= ?5 THEN ?3 + min(?7, ?6 << min(20, ${count} - ?5)) ELSE 0 END`;
  const subject = subjectSql(key.subject, 8);
  return statement(
    d1,
    `INSERT INTO login_attempts (kind, subject, source, failures, window_started_ms, locked_until_ms)
     VALUES (?1, ${subject.sql}, ?2, 1, ?3, ${lockFor("1")})
     ON CONFLICT (kind, subject, source) DO UPDATE SET
       failures = ${next},
       window_started_ms = CASE WHEN ${stale} THEN ?3 ELSE window_started_ms END,
       locked_until_ms = ${lockFor(next)}`,
    key.kind,
    source,
    now,
    policy.windowMs,
    policy.threshold,
    policy.baseMs,
    policy.maxMs,
    ...subject.params,
  );
}

/** Forgets the failures of one source of a subject (after a correct password from it). */
export function clearSourceAttemptsStatement(d1: D1Database, key: AttemptKey & { subject: string }): Statement {
  return statement(
    d1,
    "DELETE FROM login_attempts WHERE kind = ?1 AND subject = ?2 AND source = ?3",
    key.kind,
    key.subject,
    key.source,
  );
}

/**
 * Gives back the attempt reserved on the row of all sources (the password was right): one failure
 * less, and no lock when the count falls under `threshold`.
 */
export function releaseAttemptStatement(
  d1: D1Database,
  key: AttemptKey & { subject: string },
  threshold: number,
): Statement {
  return statement(
    d1,
    `UPDATE login_attempts
     SET failures = max(failures - 1, 0),
         locked_until_ms = CASE WHEN failures - 1 >= ?4 THEN locked_until_ms ELSE 0 END
     WHERE kind = ?1 AND subject = ?2 AND source = ?3`,
    key.kind,
    key.subject,
    ALL_SOURCES,
    threshold,
  );
}

/** When the lock of the subject's row for `source` ends (0: no row). */
export function lockedUntilStatement(d1: D1Database, key: AttemptKey, source: string): Statement<{ until: number }> {
  const subject = subjectSql(key.subject, 3);
  return statement(
    d1,
    `SELECT coalesce(max(locked_until_ms), 0) AS until FROM login_attempts
     WHERE kind = ?1 AND subject = ${subject.sql} AND source = ?2`,
    key.kind,
    source,
    ...subject.params,
  );
}
