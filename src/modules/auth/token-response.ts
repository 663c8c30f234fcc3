import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { type UserView, userViewById } from "../access";
import type { IssuedPair } from "../sessions";
import { setAuthCookies } from "./cookies";
import type { MfaChallenge, SignInStep } from "./mfa-challenge";

/** Answers a token pair with the user, and sets the auth cookies. */
export async function tokenResponse(
  c: Context<AppEnv>,
  userId: number,
  pair: IssuedPair,
  message: string,
  known?: UserView,
) {
  const user = known ?? (await userViewById(c.get("deps"), userId));
  setAuthCookies(c, pair);
  return {
    access_token: pair.accessToken,
    refresh_token: pair.refreshToken,
    token_type: "bearer" as const,
    expires_in: pair.accessTtl,
    user,
    message,
  };
}

/** A sign-in's answer: the token pair (and cookies), or the second-factor challenge (no cookies). */
export async function signInResponse(
  c: Context<AppEnv>,
  step: SignInStep,
  message: string,
): Promise<Awaited<ReturnType<typeof tokenResponse>> | MfaChallenge> {
  if ("challenge" in step) return step.challenge;
  return tokenResponse(c, step.userId, step.pair, message, step.user);
}
