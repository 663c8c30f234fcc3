import { renderSVG } from "uqr";
import { runBatch, runOne, type Statement } from "../../db/statement";
import { isoNow } from "../../lib/clock";
import { hmacSha256Hex } from "../../lib/encoding";
import { AppError } from "../../lib/errors";
import { verifyPassword } from "../../lib/password";
import { isSecretBoxKey, open, seal } from "../../lib/secret-box";
import { base32Encode, matchTotp, otpauthUri } from "../../lib/totp";
import type { Deps } from "../../middleware/deps";
import {
  activeUserAtGuard,
  credentialsStatement,
  IDENTITY_LINKED_ELSEWHERE,
  joinVerifiedDomainsStatements,
  linkIdentityToStatements,
  linkUserStatement,
  recordLoginStatement,
  touchIdentityStatement,
  type UserView,
  userViewRead,
} from "../access";
import { auditStatement } from "../audit";
import { type IssuedPair, openSession } from "../sessions";
import { type IdentityUse, readToken, TokenErrors, useToken } from "../tokens";
import { AuthErrors } from "./errors";
import { checkTokenUser, tokenUser } from "./link-service";
import { AttemptThrottle } from "./login-throttle";
import { RECOVERY_CODE_COUNT } from "./mfa-challenge";
import {
  acceptTotpStepStatement,
  codeSpentGuard,
  deleteTotpStatements,
  MFA_CODE_SPENT,
  MFA_STATE,
  replaceRecoveryCodesStatements,
  saveTotpSetupStatement,
  type TotpRow,
  totpStateGuard,
  totpStatement,
  useRecoveryCodeStatement,
} from "./mfa-repository";

/** The issuer name authenticator apps show next to the account. */
const TOTP_ISSUER = "Identity Training API";

/** Seeds are sealed for their user: a sealed secret copied to another user's row doesn't open. */
const sealContext = (userId: number) => `totp:${userId}`;

const codeSpentErrors = (status: 400 | 401) => ({
  guards: { [MFA_CODE_SPENT]: () => AuthErrors.MFA_CODE_INVALID(status) },
});

function encryptionKey(deps: Deps): string {
  const key = deps.config.mfaEncryptionKey;
  if (!isSecretBoxKey(key)) throw AuthErrors.MFA_UNAVAILABLE();
  return key;
}

/** Recovery codes are stored as HMACs under the pepper, normalised (case, spaces and dashes ignored). */
const normaliseRecoveryCode = (code: string) => code.toLowerCase().replace(/[\s-]/g, "");
const recoveryCodeHash = (deps: Deps, code: string) => hmacSha256Hex(deps.pepper, `mfa-recovery:${code}`);
const RECOVERY_CODE_PATTERN = /^[a-z2-7]{10}$/;

function newRecoveryCode(): string {
  const text = base32Encode(crypto.getRandomValues(new Uint8Array(7)))
    .slice(0, 10)
    .toLowerCase();
  return `${text.slice(0, 5)}-${text.slice(5)}`;
}

/**
 * The statements that spend `code` (a current TOTP code, or an unused recovery code when allowed)
 * for the user's factor, to run in the batch of what the code authorizes, followed by their guard;
 * null when the code is wrong, too old or already used.
 */
async function spendCode(
  deps: Deps,
  userId: number,
  totp: { secret: string; enabledAt: string | null; lastStep: number },
  code: string,
  options: { enableAt: string | null; recovery: boolean },
): Promise<{ statements: Statement[]; method: string } | null> {
  const trimmed = code.trim();
  if (/^\d{6}$/.test(trimmed)) {
    const secret = await open(encryptionKey(deps), totp.secret, sealContext(userId));
    const step = await matchTotp(secret, trimmed, deps.clock.now(), totp.lastStep);
    if (step === null) return null;
    return {
      statements: [
        acceptTotpStepStatement(deps.d1, userId, totp.secret, step, options.enableAt),
        codeSpentGuard(deps.d1),
      ],
      method: "totp",
    };
  }
  const recovery = normaliseRecoveryCode(trimmed);
  if (!options.recovery || !RECOVERY_CODE_PATTERN.test(recovery)) return null;
  const hash = await recoveryCodeHash(deps, recovery);
  return {
    statements: [useRecoveryCodeStatement(deps.d1, userId, hash, isoNow(deps.clock)), codeSpentGuard(deps.d1)],
    method: "recovery_code",
  };
}

/**
 * What a provider sign-in records of its identity once its code passed (`IdentityUse`): the link
 * (with the organizations of the verified domain, as when it links without a second factor), or the
 * use of an identity already linked.
 */
function identityStatements(deps: Deps, userId: number, identity: IdentityUse | null | undefined, at: string) {
  if (!identity) return [];
  if ("touch" in identity) return [touchIdentityStatement(deps.d1, identity.touch, at)];
  return [
    ...linkIdentityToStatements(deps.d1, { ...identity.link, userId, at }),
    ...joinVerifiedDomainsStatements(deps.d1, userId, at),
  ];
}

/** The guard mark of a sign-in step whose user stopped being the token's (deactivated, or another address). */
const TOKEN_USER_CHANGED = "TOKEN_USER_CHANGED";

function codeThrottle(deps: Deps, userId: number): AttemptThrottle {
  return new AttemptThrottle(
    deps,
    { kind: "mfa", subject: `user:${userId}` },
    { subject: AuthErrors.MFA_LOCKED, source: AuthErrors.MFA_LOCKED },
  );
}

async function recordFailure(deps: Deps, userId: number, event: string): Promise<void> {
  await runBatch(deps.d1, [auditStatement(deps.d1, { event, user: userId, meta: deps.meta, at: isoNow(deps.clock) })]);
}

/** `POST /auth/mfa/totp/setup`: a new secret, stored sealed and not yet on (see the route). */
export async function setupTotp(deps: Deps, auth: { userId: number; username: string }) {
  const key = encryptionKey(deps);
  const [existing] = await runOne(deps.d1, totpStatement(deps.d1, auth.userId));
  if (existing?.enabledAt) throw AuthErrors.MFA_ALREADY_ENABLED();
  const secret = crypto.getRandomValues(new Uint8Array(20));
  const at = isoNow(deps.clock);
  await runBatch(deps.d1, [
    saveTotpSetupStatement(deps.d1, auth.userId, await seal(key, secret, sealContext(auth.userId)), at),
    auditStatement(deps.d1, { event: "mfa_setup_started", user: auth.userId, meta: deps.meta, at }),
  ]);
  const base32 = base32Encode(secret);
  const uri = otpauthUri(base32, TOTP_ISSUER, auth.username);
  return { secret: base32, otpauth_uri: uri, qr_svg: renderSVG(uri) };
}

/** `POST /auth/mfa/totp/enable`: a code of the new secret turns it on and mints the recovery codes. */
export async function enableTotp(deps: Deps, userId: number, code: string): Promise<{ recovery_codes: string[] }> {
  const throttle = codeThrottle(deps, userId);
  // The factor is read in the batch that reserves the attempt; a factor not set up, or already on,
  // fails that batch before anything is counted (these attempts share the sign-in code's bucket).
  const [rows = []] = await throttle.reserveIf(
    {
      guard: totpStateGuard(deps.d1, userId, "pending"),
      mark: MFA_STATE,
      refusal: async () =>
        (await runOne(deps.d1, totpStatement(deps.d1, userId)))[0]?.enabledAt
          ? AuthErrors.MFA_ALREADY_ENABLED()
          : AuthErrors.MFA_NOT_SET_UP(),
    },
    totpStatement(deps.d1, userId),
  );
  const totp = rows[0];
  if (!totp || totp.enabledAt) throw AuthErrors.MFA_NOT_SET_UP(); // (the guard passed: not reached)
  const at = isoNow(deps.clock);
  const spent = await spendCode(deps, userId, totp, code, { enableAt: at, recovery: false });
  if (!spent) {
    await recordFailure(deps, userId, "mfa_enable_failed");
    throw AuthErrors.MFA_CODE_INVALID(400);
  }
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  const hashes = await Promise.all(codes.map((c) => recoveryCodeHash(deps, normaliseRecoveryCode(c))));
  await runBatch(
    deps.d1,
    [
      ...spent.statements,
      ...replaceRecoveryCodesStatements(deps.d1, userId, hashes, at),
      ...throttle.releaseStatements(),
      auditStatement(deps.d1, { event: "mfa_enabled", user: userId, meta: deps.meta, at }),
    ],
    codeSpentErrors(400),
  );
  return { recovery_codes: codes };
}

/** `POST /auth/mfa/totp/disable`: a current code, a recovery code or the password turns it off. */
export async function disableTotp(
  deps: Deps,
  userId: number,
  input: { code?: string | undefined; password?: string | undefined },
): Promise<void> {
  const throttle = codeThrottle(deps, userId);
  // The factor (and for a password proof the credentials) is read in the batch that reserves the
  // attempt; a factor that is not on fails that batch before anything is counted.
  const credentials = input.password !== undefined ? credentialsStatement(deps.db, { id: userId }) : undefined;
  const [totpRows = [], credentialRows = []] = await throttle.reserveIf<unknown>(
    { guard: totpStateGuard(deps.d1, userId, "enabled"), mark: MFA_STATE, refusal: () => AuthErrors.MFA_NOT_ENABLED() },
    totpStatement(deps.d1, userId),
    ...(credentials ? [credentials.statement] : []),
  );
  const totp = (totpRows as TotpRow[])[0];
  if (!totp?.enabledAt) throw AuthErrors.MFA_NOT_ENABLED();
  const at = isoNow(deps.clock);
  let proof: { statements: Statement[]; method: string } | null = null;
  if (input.code !== undefined) {
    proof = await spendCode(deps, userId, totp, input.code, { enableAt: null, recovery: true });
  } else if (input.password !== undefined) {
    const user = credentials?.row(credentialRows);
    const check = user?.passwordHash ? await verifyPassword(input.password, user.passwordHash, deps.pepper) : null;
    proof = check?.ok ? { statements: [], method: "password" } : null;
  }
  if (!proof) {
    await recordFailure(deps, userId, "mfa_disable_failed");
    throw AuthErrors.MFA_CODE_INVALID(400);
  }
  await runBatch(
    deps.d1,
    [
      ...proof.statements,
      ...deleteTotpStatements(deps.d1, userId),
      ...throttle.releaseStatements(),
      auditStatement(deps.d1, { event: "mfa_disabled", user: userId, meta: deps.meta, detail: proof.method, at }),
    ],
    codeSpentErrors(400),
  );
}

/**
 * `POST /auth/mfa/verify`: the second step of a sign-in. The `mfa_token` and the code are used up
 * and the session opened in one batch (of two concurrent posts one wins); wrong codes are counted
 * like wrong passwords.
 */
export async function verifyMfa(
  deps: Deps,
  input: { mfa_token: string; code: string },
): Promise<{ userId: number; pair: IssuedPair; user: UserView; next: string | null }> {
  const valid = await readToken(deps, input.mfa_token, "mfa");
  const userId = valid.record.userId;
  if (userId === null) throw TokenErrors.LINK_TOKEN_INVALID();
  // The user and its factor are read in the batch that reserves the attempt.
  const throttle = codeThrottle(deps, userId);
  const userRead = linkUserStatement(deps.db, userId);
  // A user no longer active, or no longer at the token's address, fails the batch before anything is
  // counted; its refusal says which (`tokenUser()`'s checks).
  const [userRows = [], totpRows = []] = await throttle.reserveIf<unknown>(
    {
      guard: activeUserAtGuard(deps.d1, TOKEN_USER_CHANGED, userId, valid.record.email),
      mark: TOKEN_USER_CHANGED,
      refusal: async (): Promise<AppError> => {
        try {
          await tokenUser(deps, valid.record);
        } catch (err) {
          if (err instanceof AppError) return err;
          throw err;
        }
        return TokenErrors.LINK_TOKEN_INVALID(); // changed back meanwhile: ask for a new sign-in
      },
    },
    userRead.statement,
    totpStatement(deps.d1, userId),
  );
  const user = checkTokenUser(userRead.row(userRows), valid.record);
  const totp = (totpRows as TotpRow[])[0];
  const spent = totp?.enabledAt
    ? await spendCode(deps, user.id, totp, input.code, { enableAt: null, recovery: true })
    : null;
  if (!spent) {
    await recordFailure(deps, user.id, "mfa_failed");
    throw AuthErrors.MFA_CODE_INVALID(401);
  }
  const at = isoNow(deps.clock);
  const use = useToken(deps, valid, user.id, at);
  const session = openSession(deps, user.id);
  const writes = [
    use.statement,
    ...spent.statements,
    ...session.statements,
    // The sign-in ends here, with the second factor: so does last_login.
    recordLoginStatement(deps.d1, user.id, null, at),
    ...identityStatements(deps, user.id, valid.record.identity, at),
    ...throttle.releaseStatements(),
    auditStatement(deps.d1, { event: "mfa_login", user: user.id, meta: deps.meta, detail: spent.method, at }),
  ];
  // Then what the answer shows (the user, as signed in) and what the token carries.
  const view = userViewRead(deps, user.id);
  const results = await runBatch(deps.d1, [...writes, view.statement, ...session.reads()], {
    ...use.errors,
    guards: { ...codeSpentErrors(401).guards, [IDENTITY_LINKED_ELSEWHERE]: () => AuthErrors.OAUTH_IDENTITY_CONFLICT() },
  });
  await use.forget();
  return {
    userId: user.id,
    pair: await session.signWith(user.id, results),
    user: view.view(results[writes.length] ?? []),
    next: valid.record.next ?? null,
  };
}
