import { API_PREFIX } from "../../app-info";
import { AppError } from "../../lib/errors";
import { errors, json, jsonBody, MessageSchema } from "../../lib/openapi";
import { createRouter, guardedRoute, publicRoute } from "../../middleware/route";
import { setAuthCookies } from "./cookies";
import { AuthErrors } from "./errors";
import { assertOwnPageForm, html, isForm, jsonOrForm } from "./forms";
import { MFA_VERIFY_PATH } from "./mfa-challenge";
import { disableTotp, enableTotp, setupTotp, verifyMfa } from "./mfa-service";
import { isSafeNext } from "./next-path";
import { mfaCodePage } from "./pages";
import {
  MfaCodeBody,
  MfaDisableBody,
  MfaVerifyBody,
  RecoveryCodesSchema,
  TokenPairSchema,
  TotpSetupSchema,
} from "./schemas";
import { tokenResponse } from "./token-response";

const MFA = `${API_PREFIX}/auth/mfa`;
const tags = ["Two-factor authentication"];

/** TOTP second factor: set up, turn on and off, and the second step of a sign-in. */
export const mfaRoutes = createRouter()
  .openapi(
    guardedRoute({
      method: "post",
      path: `${MFA}/totp/setup`,
      tags,
      summary: "Start setting up a TOTP authenticator (secret, otpauth URI, QR code)",
      description:
        "A new random secret (160 bits), stored encrypted (AES-GCM) and not yet on: scan `qr_svg` or type `secret` into an authenticator app (SHA-1, 6 digits, 30 s), then confirm with `POST /auth/mfa/totp/enable`. Calling it again before enabling replaces the secret. 409 `MFA_ALREADY_ENABLED` when TOTP is on; 503 `MFA_UNAVAILABLE` when the server has no `MFA_ENCRYPTION_KEY`.",
      permission: "authenticated",
      responses: { 200: json(TotpSetupSchema, "The secret, shown this once"), ...errors(409, 503) },
    }),
    async (c) => c.json(await setupTotp(c.get("deps"), c.get("auth")), 200),
  )
  .openapi(
    guardedRoute({
      method: "post",
      path: `${MFA}/totp/enable`,
      tags,
      summary: "Turn TOTP on with a code of the new secret; answers 10 recovery codes",
      description:
        "A current code of the secret from `setup` turns the second factor on: from then on every sign-in (password, emailed link, OAuth) answers `{mfa_required, mfa_token}`. Answers 10 single-use recovery codes, stored only as keyed hashes and shown this once. A wrong code is 400 `MFA_CODE_INVALID` (counted like wrong passwords: too many answer 429 `MFA_LOCKED` with `Retry-After`); 409 `MFA_NOT_SET_UP` or `MFA_ALREADY_ENABLED`.",
      permission: "authenticated",
      request: { body: jsonBody(MfaCodeBody) },
      responses: { 200: json(RecoveryCodesSchema, "TOTP is on"), ...errors(409, 429, 503) },
    }),
    async (c) => c.json(await enableTotp(c.get("deps"), c.get("auth").userId, c.req.valid("json").code), 200),
  )
  .openapi(
    guardedRoute({
      method: "post",
      path: `${MFA}/totp/disable`,
      tags,
      summary: "Turn TOTP off with a code, a recovery code or the password",
      description:
        "`{code}` (a current TOTP code or an unused recovery code) or `{password}` proves it is the owner; the secret and recovery codes are deleted. A wrong proof is 400 `MFA_CODE_INVALID` (counted like wrong passwords; 429 `MFA_LOCKED`); 409 `MFA_NOT_ENABLED` when TOTP is off.",
      permission: "authenticated",
      request: { body: jsonBody(MfaDisableBody) },
      responses: { 200: json(MessageSchema, "TOTP is off"), ...errors(409, 429, 503) },
    }),
    async (c) => {
      await disableTotp(c.get("deps"), c.get("auth").userId, c.req.valid("json"));
      return c.json({ message: "Two-factor authentication is off" }, 200);
    },
  )
  .openapi(
    publicRoute({
      method: "post",
      path: MFA_VERIFY_PATH,
      tags,
      summary: "Complete a sign-in with a TOTP or recovery code",
      description:
        "`mfa_token` from a sign-in that answered `mfa_required`, and a current 6-digit code (a code works once: the same or an older step is refused) or an unused recovery code. JSON answers the token pair and sets the cookies; a form post (the code page of this site only: another `Origin` is 403 `CSRF_ORIGIN_REJECTED`) sets the cookies and answers 303 to the sign-in's `next` (the emailed link's or the provider sign-in's). The `mfa_token` lives 5 minutes and works once (401 `LINK_TOKEN_EXPIRED`, `LINK_TOKEN_USED`, `LINK_TOKEN_INVALID`; a token of another kind is 400 `LINK_TOKEN_WRONG_KIND`). A wrong code is 401 `MFA_CODE_INVALID` (a form post gets the code page again, with the error and the same `mfa_token`), counted like wrong passwords (429 `MFA_LOCKED` with `Retry-After`).",
      request: { body: jsonOrForm(MfaVerifyBody) },
      responses: {
        200: json(TokenPairSchema, "Signed in"),
        303: { description: "Form post: signed in (cookies set), redirected to `next`" },
        ...errors(401, 403, 429, 503),
      },
    }),
    async (c) => {
      const form = isForm(c);
      if (!form) {
        const { userId, pair, user } = await verifyMfa(c.get("deps"), c.req.valid("json"));
        return c.json(await tokenResponse(c, userId, pair, "Login successful", user), 200);
      }
      assertOwnPageForm(c);
      const input = c.req.valid("form");
      let signedIn: Awaited<ReturnType<typeof verifyMfa>>;
      try {
        signedIn = await verifyMfa(c.get("deps"), input);
      } catch (err) {
        // A mistyped code on the page: the page again, with the same mfa_token, to try once more.
        if (!(err instanceof AppError) || err.code !== AuthErrors.MFA_CODE_INVALID.code) throw err;
        return html(c, mfaCodePage(MFA_VERIFY_PATH, input.mfa_token, String(err.detail)), 401);
      }
      setAuthCookies(c, signedIn.pair);
      return c.redirect(signedIn.next && isSafeNext(signedIn.next) ? signedIn.next : "/", 303);
    },
  );
