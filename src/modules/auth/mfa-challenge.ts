import { API_PREFIX } from "../../app-info";
import type { Deps } from "../../middleware/deps";
import type { UserView } from "../access";
import type { IssuedPair } from "../sessions";
import { type IdentityUse, newToken } from "../tokens";

/** Where the second step of a sign-in is posted (JSON or the code page's form). */
export const MFA_VERIFY_PATH = `${API_PREFIX}/auth/mfa/verify`;

/** An `mfa_token` (the second step of a sign-in) lives 5 minutes and works once. */
export const MFA_TOKEN_TTL_SECONDS = 300;
/** How many recovery codes `enable` hands out. */
export const RECOVERY_CODE_COUNT = 10;

/** What a sign-in answers instead of a token pair when the user has TOTP on. */
export interface MfaChallenge {
  mfa_required: true;
  mfa_token: string;
  expires_in: number;
  message: string;
}

/** A first factor passed for `user`: a session, or with TOTP on the challenge to finish it. */
export type SignInStep =
  | { userId: number; pair: IssuedPair /** The user's view, when the sign-in's batch read it. */; user?: UserView }
  | { userId: number; challenge: MfaChallenge };

/**
 * The challenge of a sign-in whose first factor passed for a user with TOTP on: a one-time
 * `mfa_token` (kind `mfa`, 5 minutes) that `verifyMfa` exchanges, with a code, for the session.
 * `save()` stores the token once the sign-in's batch has committed.
 */
export async function mfaChallenge(
  deps: Deps,
  user: { id: number; email: string; identity?: IdentityUse },
  next: string | null,
): Promise<{ challenge: MfaChallenge; save(): Promise<void> }> {
  const token = await newToken(
    deps,
    { kind: "mfa", userId: user.id, email: user.email, next, identity: user.identity ?? null },
    MFA_TOKEN_TTL_SECONDS,
  );
  return {
    challenge: {
      mfa_required: true,
      mfa_token: token.token,
      expires_in: MFA_TOKEN_TTL_SECONDS,
      message: "Enter the code of your authenticator app (POST /auth/mfa/verify)",
    },
    save: token.save,
  };
}
