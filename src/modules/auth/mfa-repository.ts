import { guardStatement, type Statement, statement } from "../../db/statement";

/** The guard mark of a batch whose code was accepted meanwhile (or its step already used). */
export const MFA_CODE_SPENT = "MFA_CODE_SPENT";

/** A user's TOTP row: the sealed secret, whether it is on, the last step accepted. */
export interface TotpRow {
  secret: string;
  enabledAt: string | null;
  lastStep: number;
}

/** The guard mark of `totpStateGuard()`. */
export const MFA_STATE = "MFA_STATE";

/** Fails its batch (mark `MFA_STATE`) unless the user's factor is set up and not yet on (`pending`), or on (`enabled`). */
export function totpStateGuard(d1: D1Database, userId: number, want: "pending" | "enabled"): Statement {
  return guardStatement(
    d1,
    MFA_STATE,
    `NOT EXISTS (SELECT 1 FROM user_totp WHERE user_id = ?1 AND enabled_at IS ${want === "pending" ? "NULL" : "NOT NULL"})`,
    userId,
  );
}

/** A user's TOTP row, as a statement of its own or to batch with others (at most one row). */
export function totpStatement(d1: D1Database, userId: number): Statement<TotpRow> {
  return statement(
    d1,
    "SELECT secret, enabled_at AS enabledAt, last_step AS lastStep FROM user_totp WHERE user_id = ?1",
    userId,
  );
}

/**
 * Stores a new secret being set up (not yet on). Replaces an earlier unconfirmed one, never a secret
 * that is on: that row is left as it is.
 */
export function saveTotpSetupStatement(d1: D1Database, userId: number, sealed: string, at: string): Statement {
  return statement(
    d1,
    `INSERT INTO user_totp (user_id, secret, enabled_at, last_step, created_at) VALUES (?1, ?2, NULL, 0, ?3)
     ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_step = 0, created_at = excluded.created_at
     WHERE user_totp.enabled_at IS NULL`,
    userId,
    sealed,
    at,
  );
}

/**
 * Accepts a code of time step `step` of the sealed `secret` it was checked against: records the
 * step, and with `enableAt` turns the factor on. Follow it with `codeSpentGuard()`: of two requests
 * with the same code, one wins; and a secret replaced meanwhile (a new setup while enabling) is not
 * turned on by a code of the one it replaced.
 */
export function acceptTotpStepStatement(
  d1: D1Database,
  userId: number,
  secret: string,
  step: number,
  enableAt: string | null,
): Statement {
  return statement(
    d1,
    `UPDATE user_totp SET last_step = ?2, enabled_at = coalesce(enabled_at, ?3)
     WHERE user_id = ?1 AND secret = ?4 AND last_step < ?2 AND (enabled_at IS NOT NULL) = (?3 IS NULL)`,
    userId,
    step,
    enableAt,
    secret,
  );
}

/** Fails the batch when the statement before it changed nothing (the code or recovery code was spent). */
export function codeSpentGuard(d1: D1Database): Statement {
  return guardStatement(d1, MFA_CODE_SPENT, "changes() = 0");
}

/** Uses up an unused recovery code of the user; follow it with `codeSpentGuard()`. */
export function useRecoveryCodeStatement(d1: D1Database, userId: number, codeHash: string, at: string): Statement {
  return statement(
    d1,
    "UPDATE mfa_recovery_codes SET used_at = ?3 WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
    userId,
    codeHash,
    at,
  );
}

/** Replaces the user's recovery codes with `hashes` (10 codes: 31 bound parameters). */
export function replaceRecoveryCodesStatements(
  d1: D1Database,
  userId: number,
  hashes: readonly string[],
  at: string,
): Statement[] {
  return [
    statement(d1, "DELETE FROM mfa_recovery_codes WHERE user_id = ?1", userId),
    statement(
      d1,
      `INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at) VALUES ${hashes
        .map((_, i) => `(?1, ?${i + 3}, ?2)`)
        .join(", ")}`,
      userId,
      at,
      ...hashes,
    ),
  ];
}

/** Turns the factor off: its secret and recovery codes are deleted. */
export function deleteTotpStatements(d1: D1Database, userId: number): Statement[] {
  return [
    statement(d1, "DELETE FROM user_totp WHERE user_id = ?1", userId),
    statement(d1, "DELETE FROM mfa_recovery_codes WHERE user_id = ?1", userId),
  ];
}
