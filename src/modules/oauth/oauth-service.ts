import { API_PREFIX } from "../../app-info";
import { outboxStatement } from "../../db/outbox";
import { newUserIdSql, type UserRef } from "../../db/sql";
import { runBatch, type Statement, theRow } from "../../db/statement";
import { isoNow } from "../../lib/clock";
import { type AppError, HttpErrors } from "../../lib/errors";
import { DEFAULT_ROLE } from "../../lib/permissions";
import type { Deps } from "../../middleware/deps";
import {
  findLinkUser,
  joinVerifiedDomainsStatements,
  linkIdentityStatement,
  newUserStatements,
  recordLinkLoginStatement,
  recordLoginStatement,
  takenUsernames,
  touchIdentityStatement,
  userConstraintErrors,
} from "../access";
import { auditStatement } from "../audit";
import { AuthErrors, mfaChallenge, type SignInStep } from "../auth";
import { openSession } from "../sessions";
import type { IdentityUse } from "../tokens";
import { useOnce } from "../tokens";
import { OAuthErrors } from "./errors";
import { identityOf, type ProviderProfile } from "./identity";
import { findLinkedUser } from "./identity-repository";
import { configuredProvider, PROVIDER_LABELS, type ProviderName, setupOf } from "./providers";
import { newState, takeState } from "./state";

/** The redirect URI registered with every provider: `PUBLIC_URL` (else this origin) + the callback path. */
export function redirectUriOf(deps: Deps, origin: string, provider: ProviderName): string {
  return `${deps.config.publicUrl ?? origin}${API_PREFIX}/auth/oauth/${provider}/callback`;
}

/**
 * `GET /auth/oauth/{provider}` (see the route): the provider's authorization URL for a new sign-in, and
 * the state's hash for the browser-binding cookie.
 */
export async function startOAuthSignIn(
  deps: Deps,
  origin: string,
  name: string,
  next: string | undefined,
): Promise<{ location: string; stateHash: string; provider: ProviderName }> {
  const provider = configuredProvider(deps, name);
  const setup = await setupOf(deps, provider);
  const state = await newState(deps, provider, { openid: setup.openid !== undefined, next: next ?? null });
  const url = new URL(setup.authorizationEndpoint);
  const params: Record<string, string> = {
    response_type: "code",
    client_id: setup.client.clientId,
    redirect_uri: redirectUriOf(deps, origin, provider),
    scope: setup.scope,
    state: state.state,
    code_challenge: state.codeChallenge,
    code_challenge_method: "S256",
  };
  if (state.nonce) params.nonce = state.nonce;
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  await state.save();
  return { location: url.toString(), stateHash: state.hash, provider };
}

/** What the provider sent back to the callback. */
export interface CallbackQuery {
  code?: string | undefined;
  state?: string | undefined;
  error?: string | undefined;
}

/**
 * `GET /auth/oauth/{provider}/callback` (see the route): checks the state, exchanges the code, reads the
 * identity, finds or creates the account and signs it in.
 */
export async function finishOAuthSignIn(
  deps: Deps,
  origin: string,
  name: string,
  query: CallbackQuery,
  stateCookie: string | undefined,
): Promise<SignedIn> {
  const provider = configuredProvider(deps, name);
  const label = PROVIDER_LABELS[provider];
  const { hash, record } = await takeState(deps, provider, query.state, stateCookie);
  if (query.error) {
    throw OAuthErrors.OAUTH_PROVIDER_ERROR(
      label,
      `it refused the sign-in (${query.error.replace(/[^\w.-]/g, "").slice(0, 64)})`,
    );
  }
  if (!query.code) throw OAuthErrors.OAUTH_PROVIDER_ERROR(label, "it sent no authorization code");
  const setup = await setupOf(deps, provider);
  const profile = await identityOf(deps, setup, {
    code: query.code,
    codeVerifier: record.codeVerifier,
    redirectUri: redirectUriOf(deps, origin, provider),
    nonce: record.nonce,
  });
  const account = await accountFor(deps, provider, profile);
  return completeOAuthSignIn(deps, { provider, account, stateHash: hash, next: record.next });
}

/** The account a provider identity signs in to, and the statements that link or create it. */
export interface SignInAccount {
  /** The user's id, or its username when the sign-in creates it. */
  user: UserRef;
  statements: Statement[];
  /** How the account was found, for the audit trail. */
  detail: string;
  /** A new user's username and email (for a 409 naming what a concurrent write took). */
  created?: { username: string; email: string };
  /**
   * An existing user with a TOTP second factor on: the sign-in waits for its code, and so does what
   * it records of the identity (`statements` are then empty: nothing is linked or recorded for a
   * sign-in that only passed its first factor).
   */
  mfa?: { id: number; email: string; identity: IdentityUse };
}

/** A deactivated account is refused (audited, as a password login's refusal). */
async function refuseInactive(deps: Deps, userId: number, provider: ProviderName): Promise<never> {
  const at = isoNow(deps.clock);
  await runBatch(deps.d1, [
    auditStatement(deps.d1, { event: "login_refused_inactive", user: userId, meta: deps.meta, detail: provider, at }),
  ]);
  throw HttpErrors.ACCOUNT_DISABLED(403);
}

/**
 * An identity already linked signs in its user; else the user with the same email, only when both
 * the provider and the account have verified that email (then it is linked); else, with an email
 * the provider has verified, a new user (role EMPLOYEE, no password). Linking to an account whose
 * address nobody proved would hand the account to whoever registered the address first
 * (pre-account takeover), and an account made from an unverified address would let its creator
 * in to the mailbox owner's account later.
 */
async function accountFor(deps: Deps, provider: ProviderName, profile: ProviderProfile): Promise<SignInAccount> {
  const at = isoNow(deps.clock);
  const linked = await findLinkedUser(deps.db, provider, profile.subject);
  if (linked) {
    if (!linked.isActive) return refuseInactive(deps, linked.userId, provider);
    const detail = `${provider}: linked identity`;
    if (linked.totpEnabled) {
      const identity = { touch: linked.identityId };
      return { user: linked.userId, statements: [], detail, mfa: { id: linked.userId, email: linked.email, identity } };
    }
    return {
      user: linked.userId,
      statements: [
        touchIdentityStatement(deps.d1, linked.identityId, at),
        recordLoginStatement(deps.d1, linked.userId, null, at),
      ],
      detail,
    };
  }
  const link = { provider, providerUserId: profile.subject, email: profile.email, at };
  const existing = await findLinkUser(deps.db, { email: profile.email });
  if (existing) {
    if (!profile.emailVerified) throw OAuthErrors.OAUTH_EMAIL_NOT_VERIFIED(PROVIDER_LABELS[provider]);
    if (!existing.emailVerified) throw OAuthErrors.OAUTH_ACCOUNT_NOT_VERIFIED(PROVIDER_LABELS[provider]);
    if (!existing.isActive) return refuseInactive(deps, existing.id, provider);
    if (existing.totpEnabled) {
      const identity = { link: { provider, providerUserId: profile.subject, email: profile.email } };
      return {
        user: existing.id,
        statements: [],
        detail: `${provider}: identity to link by verified email once the code passes`,
        mfa: { id: existing.id, email: existing.email, identity },
      };
    }
    return {
      user: existing.id,
      statements: [
        linkIdentityStatement(deps.d1, { ...link, user: existing.id }),
        recordLinkLoginStatement(deps.d1, existing.id, at),
        ...joinVerifiedDomainsStatements(deps.d1, existing.id, at),
      ],
      detail: `${provider}: identity linked by verified email`,
    };
  }
  if (!profile.emailVerified) throw OAuthErrors.OAUTH_EMAIL_UNAVAILABLE(PROVIDER_LABELS[provider]);
  const username = await freeUsername(deps, provider, profile);
  return {
    user: { username },
    statements: [
      ...newUserStatements(deps.d1, {
        fields: {
          username,
          email: profile.email,
          passwordHash: null,
          fullName: profile.name,
          firstName: profile.givenName,
          lastName: profile.familyName,
          authProvider: provider,
          emailVerified: true,
          lastLogin: at,
        },
        role: DEFAULT_ROLE,
        orgIds: [],
        at,
      }),
      outboxStatement(
        deps.d1,
        "user.registered",
        { username, email: profile.email },
        { at, fill: { "$.data.user_id": newUserIdSql(3) }, params: [username] },
      ),
      linkIdentityStatement(deps.d1, { ...link, user: { username } }),
    ],
    detail: `${provider}: new account`,
    created: { username, email: profile.email },
  };
}

/** A username from the profile (its handle, else the email's local part), made valid and free. */
async function freeUsername(deps: Deps, provider: ProviderName, profile: ProviderProfile): Promise<string> {
  const raw = profile.handle?.split("@")[0] || profile.email.split("@")[0] || "";
  let base = raw
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[._-]+|[._-]+$/g, "")
    .slice(0, 40);
  if (base.length < 3) base = `user-${base}`.replace(/-$/, "");
  const random = () => `${base}-${crypto.getRandomValues(new Uint32Array(1))[0]?.toString(16).padStart(8, "0")}`;
  const candidates = [base, `${base}-${provider}`, random(), random(), random()];
  const taken = await takenUsernames(deps.db, candidates);
  return candidates.find((c) => !taken.has(c.toLowerCase())) ?? random();
}

/** A completed sign-in (the session's tokens), or with TOTP on its second step; and where the browser goes. */
export type SignedIn = SignInStep & { next: string | null };

/**
 * The end of every provider sign-in, as a password or magic-link login's: in ONE batch, the state's
 * single use, the account's link or creation and login record, a new session (or, with TOTP on, the
 * challenge that `POST /auth/mfa/verify` completes) and the audit record; then the session's tokens.
 */
export async function completeOAuthSignIn(
  deps: Deps,
  signIn: { provider: ProviderName; account: SignInAccount; stateHash: string; next: string | null },
): Promise<SignedIn> {
  const { account } = signIn;
  const at = isoNow(deps.clock);
  const existingId = typeof account.user === "number" ? account.user : null;
  const use = useOnce(deps, { hash: signIn.stateHash, kind: "oauth_state", userId: existingId, at });
  const mfa = account.mfa ? await mfaChallenge(deps, account.mfa, signIn.next) : null;
  const session = openSession(deps, account.user);
  const results = await runBatch(
    deps.d1,
    [
      ...account.statements,
      use.statement,
      ...(mfa ? [] : session.statements),
      auditStatement(deps.d1, {
        event: mfa ? "oauth_mfa_required" : "oauth_login",
        user: account.user,
        meta: deps.meta,
        detail: account.detail,
        at,
      }),
      // What the access token carries, read in the same batch.
      ...(mfa ? [] : session.reads()),
    ],
    {
      unique: async (name): Promise<AppError> => {
        if (use.isUse(name)) return OAuthErrors.OAUTH_STATE_USED();
        if (name.includes("oauth_identities")) return AuthErrors.OAUTH_IDENTITY_CONFLICT();
        const taken = account.created && userConstraintErrors(deps.db, account.created).unique;
        return taken ? taken(name) : HttpErrors.CONFLICT();
      },
    },
  );
  const userId = existingId ?? theRow(results[0] as { id: number }[], "user insert").id;
  if (mfa) {
    await mfa.save();
    return { userId, challenge: mfa.challenge, next: signIn.next };
  }
  return { userId, pair: await session.signWith(userId, results), next: signIn.next };
}
