import { runBatch } from "../../db/statement";
import { isoNow } from "../../lib/clock";
import { HttpErrors } from "../../lib/errors";
import { assertAcceptablePassword, hashPassword } from "../../lib/password";
import type { Deps } from "../../middleware/deps";
import {
  AccessErrors,
  changeEmailStatement,
  findLinkUser,
  joinVerifiedDomainsStatements,
  type LinkUser,
  recordLinkLoginStatement,
  setPasswordStatement,
  userViewRead,
  verifyEmailStatement,
} from "../access";
import { auditStatement } from "../audit";
import { type EmailRequest, queueEmail } from "../email";
import { openSession, revokeUserSessionsStatement } from "../sessions";
import { type LinkKind, linkFor, newToken, readToken, TokenErrors, type TokenKind, useToken } from "../tokens";
import { countLinkRequest } from "./link-limits";
import { mfaChallenge, type SignInStep } from "./mfa-challenge";

/** Reset tokens live 30 minutes. */
export const PASSWORD_RESET_TTL_SECONDS = 30 * 60;
/** Verification links live a day. */
export const EMAIL_VERIFICATION_TTL_SECONDS = 24 * 3600;

const ttlOf = (deps: Deps, kind: LinkKind) =>
  kind === "magic_link"
    ? deps.config.magicLinkTtl
    : kind === "password_reset"
      ? PASSWORD_RESET_TTL_SECONDS
      : EMAIL_VERIFICATION_TTL_SECONDS;

/**
 * Mints a token of `kind` for `user` and emails its link, the email and the audit record in one batch;
 * the token is stored and the queue message sent after it.
 */
async function emailLink(
  deps: Deps,
  origin: string,
  kind: LinkKind,
  user: LinkUser,
  extra: { next?: string | null } = {},
): Promise<void> {
  const ttl = ttlOf(deps, kind);
  const token = await newToken(deps, { kind, userId: user.id, email: user.email, next: extra.next ?? null }, ttl);
  const mail = queueEmail(deps, {
    kind,
    to: user.email,
    user: user.id,
    name: user.username,
    link: linkFor(deps, origin, kind, token.token),
    validMinutes: Math.max(1, Math.round(ttl / 60)),
    secret: token.token,
  });
  const at = isoNow(deps.clock);
  await runBatch(deps.d1, [
    ...mail.statements,
    auditStatement(deps.d1, { event: `${kind}_requested`, user: user.id, meta: deps.meta, at }),
  ]);
  await token.save();
  await mail.enqueue();
}

/**
 * The verification email of a user inserted in the same batch (registration): its statements, and what
 * to run once the batch has committed.
 */
export async function verificationEmailForNewUser(
  deps: Deps,
  origin: string,
  user: { username: string; email: string },
): Promise<{ statements: ReturnType<typeof queueEmail>["statements"]; after(): Promise<void> }> {
  const ttl = EMAIL_VERIFICATION_TTL_SECONDS;
  const token = await newToken(deps, { kind: "email_verification", userId: null, email: user.email }, ttl);
  const request: EmailRequest = {
    kind: "email_verification",
    to: user.email,
    user: { username: user.username },
    name: user.username,
    link: linkFor(deps, origin, "email_verification", token.token),
    validMinutes: ttl / 60,
    secret: token.token,
  };
  const mail = queueEmail(deps, request);
  return {
    statements: mail.statements,
    async after() {
      await token.save();
      await mail.enqueue();
    },
  };
}

/**
 * A request for an address without an active account: audited (the address itself is not stored), and
 * a D1 write like the answered path's, so the two take more alike time.
 */
async function recordUnanswered(deps: Deps, kind: LinkKind, userId: number | null): Promise<void> {
  const at = isoNow(deps.clock);
  const detail = userId === null ? "no account" : "inactive account";
  await runBatch(deps.d1, [
    auditStatement(deps.d1, { event: `${kind}_requested`, user: userId, meta: deps.meta, detail, at }),
  ]);
}

/** `POST /auth/magic-link` (see the route): an email for an active user, nothing for anyone else. */
export async function requestMagicLink(
  deps: Deps,
  origin: string,
  input: { email: string; next?: string | undefined },
) {
  await countLinkRequest(deps, "magic_link", input.email);
  const user = await findLinkUser(deps.db, { email: input.email });
  if (!user?.isActive) return recordUnanswered(deps, "magic_link", user?.id ?? null);
  await emailLink(deps, origin, "magic_link", user, { next: input.next ?? null });
}

/** The user a token acts on: active, and still at the address the token was sent to. */
export async function tokenUser(deps: Deps, record: { userId: number | null; email: string }): Promise<LinkUser> {
  const user = await findLinkUser(deps.db, record.userId !== null ? { id: record.userId } : { email: record.email });
  return checkTokenUser(user, record);
}

/** `tokenUser()`'s checks, of a user read in a batch with other statements. */
export function checkTokenUser(user: LinkUser | undefined, record: { email: string }): LinkUser {
  if (!user || user.email.toLowerCase() !== record.email.toLowerCase()) throw TokenErrors.LINK_TOKEN_INVALID();
  if (!user.isActive) throw HttpErrors.ACCOUNT_DISABLED(403);
  return user;
}

/**
 * `POST /auth/magic-link/verify`: uses the token up and opens a session, in one batch (a second use
 * fails it: of N concurrent posts exactly one signs in). The first sign-in by link verifies the email.
 */
export async function verifyMagicLink(deps: Deps, token: string): Promise<SignInStep & { next: string | null }> {
  const valid = await readToken(deps, token, "magic_link");
  const user = await tokenUser(deps, valid.record);
  const at = isoNow(deps.clock);
  const use = useToken(deps, valid, user.id, at);
  const next = valid.record.next ?? null;
  const detail = valid.record.issuedBy ? `login link issued by ${valid.record.issuedBy}` : "magic link";
  // The link proved the mailbox either way; with TOTP on, the session waits for the code.
  const mfa = user.totpEnabled ? await mfaChallenge(deps, user, next) : null;
  const session = openSession(deps, user.id);
  const writes = [
    use.statement,
    ...(mfa ? [] : session.statements),
    recordLinkLoginStatement(deps.d1, user.id, at),
    ...joinVerifiedDomainsStatements(deps.d1, user.id, at),
    auditStatement(deps.d1, {
      event: mfa ? "magic_link_mfa_required" : "magic_link_login",
      user: user.id,
      meta: deps.meta,
      detail,
      at,
    }),
  ];
  // Signed in: the batch also reads what the answer shows (the user, as signed in) and what the
  // token carries.
  const view = userViewRead(deps, user.id);
  const results = await runBatch(deps.d1, mfa ? writes : [...writes, view.statement, ...session.reads()], use.errors);
  await use.forget();
  if (mfa) {
    await mfa.save();
    return { userId: user.id, challenge: mfa.challenge, next };
  }
  return {
    userId: user.id,
    pair: await session.signWith(user.id, results),
    user: view.view(results[writes.length] ?? []),
    next,
  };
}

/** `POST /auth/password-reset`: an email for an active user, nothing for anyone else. */
export async function requestPasswordReset(deps: Deps, origin: string, input: { email: string }) {
  await countLinkRequest(deps, "password_reset", input.email);
  const user = await findLinkUser(deps.db, { email: input.email });
  if (!user?.isActive) return recordUnanswered(deps, "password_reset", user?.id ?? null);
  await emailLink(deps, origin, "password_reset", user);
}

/** Checks a reset token without using it (the reset form page). */
export async function checkToken(deps: Deps, token: string, kind: TokenKind): Promise<void> {
  const valid = await readToken(deps, token, kind);
  await tokenUser(deps, valid.record);
}

/**
 * `POST /auth/password-reset/confirm`: sets the password (through the password policy) and revokes
 * every session of the user, in the batch that uses the token up.
 */
export async function confirmPasswordReset(deps: Deps, input: { token: string; new_password: string }) {
  const valid = await readToken(deps, input.token, "password_reset");
  const user = await tokenUser(deps, valid.record);
  await assertAcceptablePassword(deps.assets, input.new_password, "new_password", user.username);
  const hash = await hashPassword(input.new_password, deps.pepper);
  const at = isoNow(deps.clock);
  const use = useToken(deps, valid, user.id, at);
  await runBatch(
    deps.d1,
    [
      use.statement,
      setPasswordStatement(deps.d1, user.id, hash, at),
      revokeUserSessionsStatement(deps.d1, { userId: user.id, reason: "password_reset", at }),
      auditStatement(deps.d1, { event: "password_reset", user: user.id, meta: deps.meta, at }),
    ],
    use.errors,
  );
  await use.forget();
}

/** `POST /auth/verify-email` (signed in): sends the verification email again, unless already verified. */
export async function resendVerification(deps: Deps, origin: string, userId: number): Promise<boolean> {
  const user = await findLinkUser(deps.db, { id: userId });
  if (!user || user.emailVerified) return false;
  await countLinkRequest(deps, "email_verification", user.email);
  await emailLink(deps, origin, "email_verification", user);
  return true;
}

/** `POST /auth/verify-email/confirm` and its page: marks the address verified, using the token up. */
export async function confirmEmailVerification(deps: Deps, token: string): Promise<void> {
  const valid = await readToken(deps, token, "email_verification");
  const user = await tokenUser(deps, valid.record);
  const at = isoNow(deps.clock);
  const use = useToken(deps, valid, user.id, at);
  await runBatch(
    deps.d1,
    [
      use.statement,
      verifyEmailStatement(deps.d1, user.id, valid.record.email, at),
      ...joinVerifiedDomainsStatements(deps.d1, user.id, at),
      auditStatement(deps.d1, { event: "email_verified", user: user.id, meta: deps.meta, at }),
    ],
    use.errors,
  );
  await use.forget();
}

/** The new address an email-change link would confirm (for its page); the token is not used up. */
export async function pendingEmailOf(deps: Deps, token: string): Promise<string> {
  const valid = await readToken(deps, token, "email_change");
  await tokenUser(deps, valid.record);
  if (!valid.record.newEmail) throw TokenErrors.LINK_TOKEN_INVALID();
  return valid.record.newEmail;
}

/**
 * Confirms an email change with the link sent to the new address: the user's email becomes that
 * address (verified), while the user still has the address the request was made from; the link
 * works once. A new address taken meanwhile is 409 `EMAIL_TAKEN`.
 */
export async function confirmEmailChange(deps: Deps, token: string): Promise<void> {
  const valid = await readToken(deps, token, "email_change");
  const user = await tokenUser(deps, valid.record);
  const newEmail = valid.record.newEmail;
  if (!newEmail) throw TokenErrors.LINK_TOKEN_INVALID();
  const at = isoNow(deps.clock);
  const use = useToken(deps, valid, user.id, at);
  await runBatch(
    deps.d1,
    [
      use.statement,
      changeEmailStatement(deps.d1, { userId: user.id, oldEmail: valid.record.email, newEmail, at }),
      auditStatement(deps.d1, { event: "email_changed", user: user.id, meta: deps.meta, at }),
    ],
    // The new address taken meanwhile (the unique email index), or the link used by a concurrent post.
    {
      unique: (name) =>
        name.includes("users_email") ? AccessErrors.EMAIL_TAKEN(newEmail) : TokenErrors.LINK_TOKEN_USED(),
    },
  );
  await use.forget();
}
