import { outboxStatement } from "../../db/outbox";
import { newUserIdSql } from "../../db/sql";
import { runBatch, theRow } from "../../db/statement";
import { isoNow } from "../../lib/clock";
import { HttpErrors, invalid } from "../../lib/errors";
import { assertAcceptablePassword, DUMMY_HASH, hashPassword, verifyPassword } from "../../lib/password";
import { DEFAULT_ROLE } from "../../lib/permissions";
import type { Deps } from "../../middleware/deps";
import {
  credentialsStatement,
  joinableOrganizationIds,
  newUserStatements,
  recordLoginStatement,
  setPasswordStatement,
  type UserView,
  userConstraintErrors,
  userViewRead,
} from "../access";
import { auditStatement } from "../audit";
import { type IssuedPair, openSession, revokeUserSessionsStatement } from "../sessions";
import { AuthErrors } from "./errors";
import { verificationEmailForNewUser } from "./link-service";
import { AttemptThrottle, loginNameDigest, unknownNameSubject } from "./login-throttle";
import { mfaChallenge, type SignInStep } from "./mfa-challenge";

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
 * `user.registered` outbox event, the audit record and the verification email (see the register route).
 * `origin` is the request's, the base of the email's link when `PUBLIC_URL` is unset.
 */
export async function register(
  deps: Deps,
  input: RegisterInput,
  origin: string,
): Promise<{ userId: number; pair: IssuedPair; user: UserView }> {
  await assertAcceptablePassword(deps.assets, input.password, "password", input.username, input.email);
  const orgIds = [...new Set(input.organization_ids ?? [])];
  if (orgIds.length) {
    const domain = input.email.split("@")[1] ?? "";
    const allowed = await joinableOrganizationIds(deps.db, domain, orgIds);
    if (allowed.length !== orgIds.length) {
      throw invalid(["body", "organization_ids"], "You can only join active organizations of your email's domain");
    }
  }
  const passwordHash = await hashPassword(input.password, deps.pepper);
  const at = isoNow(deps.clock);
  const ref = { username: input.username };
  const session = openSession(deps, ref);
  const view = userViewRead(deps, ref);
  const tokenReads = session.reads();
  const verification = await verificationEmailForNewUser(deps, origin, {
    username: input.username,
    email: input.email,
  });
  // One batch, one transaction: the user, its role, memberships, session, outbox event and audit
  // record all exist, or (on a duplicate) none of them.
  const results = await runBatch(
    deps.d1,
    [
      ...newUserStatements(deps.d1, {
        fields: {
          username: input.username,
          email: input.email,
          passwordHash,
          fullName: input.full_name ?? null,
          firstName: input.first_name ?? null,
          lastName: input.last_name ?? null,
          officeLocation: input.office_location ?? null,
          department: input.department ?? null,
          authProvider: "local",
          lastLogin: at,
        },
        role: DEFAULT_ROLE,
        orgIds,
        at,
      }),
      outboxStatement(
        deps.d1,
        "user.registered",
        { username: input.username, email: input.email },
        { at, fill: { "$.data.user_id": newUserIdSql(3) }, params: [input.username] },
      ),
      ...session.statements,
      auditStatement(deps.d1, { event: "register", user: ref, meta: deps.meta, at }),
      ...verification.statements,
      // What the answer shows and what the access token carries, read in the same batch (the new
      // user by its username).
      view.statement,
      ...tokenReads,
    ],
    userConstraintErrors(deps.db, input),
  );
  const { id } = theRow(results[0], "user insert");
  await verification.after();
  return {
    userId: id,
    pair: await session.signWith(id, results),
    user: view.view(results[results.length - tokenReads.length - 1] ?? []),
  };
}

/** Password login by username or email (see the login route for what each failure answers). */
export async function login(
  deps: Deps,
  input: { username?: string | undefined; email?: string | undefined; password: string },
): Promise<SignInStep> {
  const loginName = (input.email ?? input.username ?? "").trim();
  const lookup = input.email
    ? { column: "email" as const, name: input.email.toLowerCase() }
    : { column: "username" as const, name: input.username ?? "" };
  // A name nobody has is known only by its keyed digest, counted in a bounded bucket, with the same
  // work and answers as an account. The account is read in the batch that reserves the attempt,
  // which counts against the account the name names, else that bucket.
  const digest = await loginNameDigest(loginName, deps.pepper);
  const unknown = unknownNameSubject(digest);
  const throttle = new AttemptThrottle(
    deps,
    { kind: "login", subject: { ...lookup, otherwise: unknown } },
    { subject: AuthErrors.PASSWORD_SIGNIN_SUSPENDED, source: AuthErrors.ACCOUNT_LOCKED },
  );
  const credentials = credentialsStatement(deps.db, lookup);
  const [rows = []] = await throttle.reserve(credentials.statement);
  const user = credentials.row(rows);
  throttle.subjectIs(user ? `user:${user.id}` : unknown);

  const result = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH, deps.pepper);
  const at = isoNow(deps.clock);
  if (!user?.passwordHash || !result.ok) {
    const detail = user ? `login ${loginName.slice(0, 100)}` : `login unknown name hmac-sha256:${digest}`;
    await runBatch(deps.d1, [
      auditStatement(deps.d1, { event: "login_failed", user: user?.id ?? null, meta: deps.meta, detail, at }),
    ]);
    throw AuthErrors.INVALID_CREDENTIALS();
  }
  if (!user.isActive) {
    await runBatch(deps.d1, [
      ...throttle.releaseStatements(),
      auditStatement(deps.d1, { event: "login_refused_inactive", user: user.id, meta: deps.meta, at }),
    ]);
    throw HttpErrors.ACCOUNT_DISABLED(403);
  }

  const rehash = result.needsRehash ? await hashPassword(input.password, deps.pepper) : null;
  if (user.totpEnabled) {
    const mfa = await mfaChallenge(deps, user, null);
    await runBatch(deps.d1, [
      ...(rehash ? [setPasswordStatement(deps.d1, user.id, rehash, at)] : []),
      ...throttle.releaseStatements(),
      auditStatement(deps.d1, { event: "login_mfa_required", user: user.id, meta: deps.meta, at }),
    ]);
    await mfa.save();
    return { userId: user.id, challenge: mfa.challenge };
  }
  const session = openSession(deps, user.id);
  // The writes, then what the answer shows (the user, as signed in) and what its token carries.
  const writes = [
    ...session.statements,
    recordLoginStatement(deps.d1, user.id, rehash, at),
    ...throttle.releaseStatements(),
    auditStatement(deps.d1, { event: "login", user: user.id, meta: deps.meta, at }),
  ];
  const view = userViewRead(deps, user.id);
  const results = await runBatch(deps.d1, [...writes, view.statement, ...session.reads()]);
  return {
    userId: user.id,
    pair: await session.signWith(user.id, results),
    user: view.view(results[writes.length] ?? []),
  };
}

/** Changes the caller's password; every other session of the user is revoked (see the route). */
export async function changePassword(
  deps: Deps,
  auth: { userId: number; username: string; sessionId: string },
  input: { current_password: string; new_password: string },
): Promise<void> {
  // The new password is judged before anything is read or counted, so that a refused new password
  // does not spend an attempt (against the username the access token carries).
  await assertAcceptablePassword(deps.assets, input.new_password, "new_password", auth.username);
  if (input.new_password === input.current_password) {
    throw invalid(["body", "new_password"], "New password must differ from the current one");
  }
  const throttle = new AttemptThrottle(
    deps,
    { kind: "password_change", subject: `user:${auth.userId}` },
    { subject: AuthErrors.PASSWORD_CHECK_LOCKED, source: AuthErrors.PASSWORD_CHECK_LOCKED },
  );
  // By id, in the batch that reserves the attempt: the row checked is the row written, whatever
  // renames happen meanwhile.
  const credentials = credentialsStatement(deps.db, { id: auth.userId });
  const [rows = []] = await throttle.reserve(credentials.statement);
  const user = credentials.row(rows);
  const check = await verifyPassword(input.current_password, user?.passwordHash ?? DUMMY_HASH, deps.pepper);
  const at = isoNow(deps.clock);
  if (!user?.passwordHash || !check.ok) {
    await runBatch(deps.d1, [
      auditStatement(deps.d1, { event: "password_change_failed", user: auth.userId, meta: deps.meta, at }),
    ]);
    throw AuthErrors.INVALID_CURRENT_PASSWORD();
  }
  const hash = await hashPassword(input.new_password, deps.pepper);
  await runBatch(deps.d1, [
    setPasswordStatement(deps.d1, auth.userId, hash, at),
    ...throttle.releaseStatements(),
    revokeUserSessionsStatement(deps.d1, {
      userId: auth.userId,
      reason: "password_changed",
      at,
      keepSessionId: auth.sessionId,
    }),
    auditStatement(deps.d1, { event: "password_changed", user: auth.userId, meta: deps.meta, at }),
  ]);
}
