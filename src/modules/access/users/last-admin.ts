import { guardStatement, type Statement } from "../../../db/statement";
import { SUPERUSER_ROLE } from "../../../lib/permissions";
import { AccessErrors } from "../errors";

const MARK = "LAST_ADMIN";

/**
 * A statement that fails, and so rolls back its whole batch, when user `userId` is at that moment the
 * only active holder of `SUPERUSER_ROLE`. Put it first in every batch that deactivates, deletes or
 * demotes a user, and run the batch with `lastAdminErrors`: the check and the write are one
 * transaction, not a read followed by a write, so two concurrent demotions of the last two admins
 * can't both succeed.
 */
export function lastAdminGuardStatement(d1: D1Database, userId: number): Statement {
  return guardStatement(
    d1,
    MARK,
    `EXISTS (SELECT 1 FROM users u WHERE u.id = ?1 AND u.is_active = 1
        AND EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                     WHERE ur.user_id = u.id AND r.name = ?2 AND r.organization_id IS NULL)
        AND NOT EXISTS (SELECT 1 FROM users o JOIN user_roles ur ON ur.user_id = o.id JOIN roles r ON r.id = ur.role_id
                         WHERE o.id <> u.id AND o.is_active = 1 AND r.name = ?2 AND r.organization_id IS NULL))`,
    userId,
    SUPERUSER_ROLE,
  );
}

/** How a batch carrying `lastAdminGuardStatement` answers when the guard fails: 409 LAST_ADMIN. */
export const lastAdminErrors = { guards: { [MARK]: () => AccessErrors.LAST_ADMIN() } };
