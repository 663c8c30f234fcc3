import { type AppError, conflict } from "../../lib/errors";
import type { SystemRole } from "../../lib/permissions";

/**
 * The system role that grants every permission. Its last active holder can't be deactivated, deleted
 * or demoted, so that someone can always administer the system. Used by this invariant only, never to
 * authorize a request (routes check permissions).
 */
export const SUPERUSER_ROLE: SystemRole = "ADMIN";

const MARK = "LAST_ADMIN";

/**
 * A statement that fails, and so rolls back its whole `batch()`, when user `userId` is at that moment
 * the only active holder of `SUPERUSER_ROLE`. Put it first in every batch that deactivates, deletes or
 * demotes a user: the check and the write are one transaction, not a read followed by a write, so two
 * concurrent demotions of the last two admins can't both succeed.
 *
 * (SQLite has no RAISE outside triggers: the failure is a JSON path error whose text carries the mark.)
 */
export function lastAdminGuardStatement(d1: D1Database, userId: number) {
  return d1
    .prepare(
      `SELECT json_extract('{}', '${MARK}:' || u.id) FROM users u
        WHERE u.id = ?1 AND u.is_active = 1
          AND EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                       WHERE ur.user_id = u.id AND r.name = ?2 AND r.organization_id IS NULL)
          AND NOT EXISTS (SELECT 1 FROM users o JOIN user_roles ur ON ur.user_id = o.id JOIN roles r ON r.id = ur.role_id
                           WHERE o.id <> u.id AND o.is_active = 1 AND r.name = ?2 AND r.organization_id IS NULL)`,
    )
    .bind(userId, SUPERUSER_ROLE);
}

/** True when `err` (a failed batch, possibly wrapped) was raised by `lastAdminGuardStatement`. */
export function isLastAdminFailure(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 5; depth++) {
    if (e.message.includes(`'${MARK}:`)) return true;
    e = e.cause;
  }
  return false;
}

/** 409 LAST_ADMIN. */
export const lastAdminError = (): AppError =>
  conflict(`The last active ${SUPERUSER_ROLE} can't be deactivated, deleted or demoted`, "LAST_ADMIN");
