import type { Db } from "../../db/client";
import { NOW_SQL } from "../../db/schema/columns";
import type { Config } from "../../lib/config";
import { AppError, conflict, ErrorCodes, invalid, isUniqueViolation, unauthorized } from "../../lib/errors";
import { outboxStatement } from "../../lib/outbox";
import { assertAcceptablePassword, DUMMY_HASH, hashPassword, verifyPassword } from "../../lib/password";
import { DEFAULT_ROLE } from "../../lib/permissions";
import {
  assignSystemRoleToNewUserStatement,
  findCredentials,
  findTaken,
  insertUserStatement,
  joinOrganizationsForNewUserStatement,
  newUserIdSql,
} from "../users/user-repository";
import { LoginThrottle } from "./login-throttle";
import {
  auditStatement,
  type IssuedPair,
  openSession,
  type RequestMeta,
  revokeUserSessionsStatement,
  type SessionDeps,
} from "./session-service";

export interface AuthDeps extends SessionDeps {
  db: Db;
  kv: KVNamespace;
  pepper: string;
  config: Config;
}

export interface RegisterInput {
  username: string;
  email: string;
  password: string;
  full_name?: string | undefined;
  first_name?: string | undefined;
  last_name?: string | undefined;
  office_location?: string | undefined;
  department?: string | undefined;
  organization_ids?: number[] | undefined;
}

/**
 * Registers a user with the default role and opens its first session, in one batch with the
 * `user.registered` outbox event and the audit record: all of it exists, or none.
 * `organization_ids` may only name active organizations whose `domain` is the email's domain.
 */
export async function register(
  deps: AuthDeps,
  input: RegisterInput,
  meta: RequestMeta,
): Promise<{ userId: number; pair: IssuedPair }> {
  assertAcceptablePassword(input.password, "password", input.username);
  const orgIds = [...new Set(input.organization_ids ?? [])];
  if (orgIds.length) {
    const domain = input.email.split("@")[1] ?? "";
    const placeholders = orgIds.map((_, i) => `?${i + 2}`).join(", ");
    const allowed = await deps.d1
      .prepare(`SELECT id FROM organizations WHERE active = 1 AND lower(domain) = ?1 AND id IN (${placeholders})`)
      .bind(domain, ...orgIds)
      .all<{ id: number }>();
    if (allowed.results.length !== orgIds.length) {
      throw invalid(["body", "organization_ids"], "You can only join active organizations of your email's domain");
    }
  }
  const passwordHash = await hashPassword(input.password, deps.pepper);
  const d1 = deps.d1;
  const ref = { username: input.username };
  const { statements, sign } = openSession(deps, ref, meta);
  // One batch, one transaction: the user, its role, memberships, session, outbox event and audit
  // record all exist, or (on a duplicate) none of them.
  let results: D1Result[];
  try {
    results = await d1.batch([
      insertUserStatement(d1, {
        username: input.username,
        email: input.email,
        passwordHash,
        fullName: input.full_name ?? null,
        firstName: input.first_name ?? null,
        lastName: input.last_name ?? null,
        officeLocation: input.office_location ?? null,
        department: input.department ?? null,
        authProvider: "local",
        lastLogin: new Date().toISOString(),
      }),
      assignSystemRoleToNewUserStatement(d1, input.username, DEFAULT_ROLE),
      joinOrganizationsForNewUserStatement(d1, input.username, orgIds),
      outboxStatement(
        d1,
        "user.registered",
        { username: input.username, email: input.email },
        { fill: { "$.data.user_id": newUserIdSql(2) }, params: [input.username] },
      ),
      ...statements,
      auditStatement(d1, "register", ref, meta),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw await duplicateUserError(deps.db, input.username, input.email);
    throw err;
  }
  const userId = (results[0]?.results[0] as { id: number } | undefined)?.id;
  if (userId === undefined) throw new Error("user insert returned no id");
  return { userId, pair: await sign(userId) };
}

/** 409 naming the field that is taken. */
export async function duplicateUserError(db: Db, username: string, email: string): Promise<AppError> {
  const taken = await findTaken(db, username, email);
  if (taken.username) return conflict(`Username '${username}' is already taken`, "USERNAME_TAKEN");
  if (taken.email) return conflict(`Email '${email}' is already registered`, "EMAIL_TAKEN");
  return conflict("User already exists");
}

/**
 * Password login by username or email. Unknown user and wrong password answer the same 401 after
 * the same PBKDF2 work; a deactivated account gets 403 (only after a correct password, so it reveals
 * nothing to a guesser); repeated failures lock the account for a while (429).
 */
export async function login(
  deps: AuthDeps,
  input: { username?: string | undefined; email?: string | undefined; password: string },
  meta: RequestMeta,
): Promise<{ userId: number; pair: IssuedPair }> {
  const loginName = (input.email ?? input.username ?? "").trim();
  const throttle = await LoginThrottle.for(deps.kv, loginName);
  await throttle.assertNotLocked();

  const user = await findCredentials(deps.db, { username: input.username, email: input.email?.toLowerCase() });
  const result = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH, deps.pepper);
  if (!user?.passwordHash || !result.ok) {
    await Promise.all([
      throttle.recordFailure(),
      auditStatement(deps.d1, "login_failed", user?.id ?? null, meta, `login ${loginName.slice(0, 100)}`).run(),
    ]);
    throw unauthorized("Invalid credentials", ErrorCodes.INVALID_CREDENTIALS);
  }
  if (!user.isActive) {
    await auditStatement(deps.d1, "login_refused_inactive", user.id, meta).run();
    throw new AppError(403, ErrorCodes.ACCOUNT_DISABLED, "Account is deactivated");
  }

  const { statements, sign } = openSession(deps, user.id, meta);
  const rehash = result.needsRehash ? await hashPassword(input.password, deps.pepper) : null;
  await deps.d1.batch([
    ...statements,
    deps.d1
      .prepare(`UPDATE users SET last_login = ${NOW_SQL}, password_hash = coalesce(?2, password_hash) WHERE id = ?1`)
      .bind(user.id, rehash),
    auditStatement(deps.d1, "login", user.id, meta),
  ]);
  await throttle.reset();
  return { userId: user.id, pair: await sign(user.id) };
}

/**
 * Changes the caller's password after checking the current one; every other session of the user is
 * revoked, the caller's own stays signed in.
 */
export async function changePassword(
  deps: AuthDeps,
  auth: { userId: number; username: string; sessionId: string },
  input: { current_password: string; new_password: string },
  meta: RequestMeta,
): Promise<void> {
  const user = await findCredentials(deps.db, { username: auth.username });
  const check = await verifyPassword(input.current_password, user?.passwordHash ?? DUMMY_HASH, deps.pepper);
  if (!user?.passwordHash || !check.ok) {
    await auditStatement(deps.d1, "password_change_failed", auth.userId, meta).run();
    throw new AppError(400, "INVALID_CURRENT_PASSWORD", "Current password incorrect");
  }
  assertAcceptablePassword(input.new_password, "new_password", auth.username);
  if (input.new_password === input.current_password) {
    throw invalid(["body", "new_password"], "New password must differ from the current one");
  }
  const hash = await hashPassword(input.new_password, deps.pepper);
  await deps.d1.batch([
    deps.d1
      .prepare(`UPDATE users SET password_hash = ?2, updated_at = ${NOW_SQL} WHERE id = ?1`)
      .bind(auth.userId, hash),
    revokeUserSessionsStatement(deps.d1, auth.userId, "password_changed", auth.sessionId),
    auditStatement(deps.d1, "password_changed", auth.userId, meta),
  ]);
}
