import type { Context } from "hono";
import { API_PREFIX } from "../../app-info";
import type { AppEnv } from "../../env";
import { AppError, invalid } from "../../lib/errors";
import { errors, json, jsonBody, MessageSchema } from "../../lib/openapi";
import { createRouter, guardedRoute, publicRoute } from "../../middleware/route";
import { setAuthCookies } from "./cookies";
import { assertOwnPageForm, html, htmlResponse, isForm, jsonOrForm } from "./forms";
import {
  checkToken,
  confirmEmailChange,
  confirmEmailVerification,
  confirmPasswordReset,
  pendingEmailOf,
  requestMagicLink,
  requestPasswordReset,
  resendVerification,
  verifyMagicLink,
} from "./link-service";
import { MFA_VERIFY_PATH } from "./mfa-challenge";
import { isSafeNext } from "./next-path";
import { confirmEmailPage, magicLinkPage, messagePage, mfaCodePage, passwordResetPage } from "./pages";
import {
  EmailOnlyBody,
  MagicLinkRequestBody,
  PasswordResetConfirmBody,
  SignInSchema,
  TokenBody,
  TokenQuery,
} from "./schemas";
import { signInResponse } from "./token-response";

const AUTH = `${API_PREFIX}/auth`;
const tags = ["Authentication"];

/** The paths that accept an HTML form post (`application/x-www-form-urlencoded`) besides JSON. */
export const FORM_POST_PATHS = [
  `${AUTH}/magic-link/verify`,
  `${AUTH}/password-reset/confirm`,
  `${AUTH}/verify-email/confirm`,
  `${AUTH}/confirm-email`,
  MFA_VERIFY_PATH,
] as const;

const ACCEPTED = {
  message: "If the address belongs to an account, an email with a link is on its way.",
};

/** The validated body of a JSON-or-form route; 422 when it has none. */
function bodyOf<T extends { token?: string }>(c: Context<AppEnv>, form: T, jsonInput: T): T {
  const input = isForm(c) ? form : jsonInput;
  if (!input?.token) throw invalid(["body", "token"], "Field required", "missing");
  return input;
}

/** A page that states why a token can't be used (the same codes as the JSON routes, as a sentence). */
function failurePage(c: Context<AppEnv>, err: unknown) {
  if (err instanceof AppError && (err.status === 400 || err.status === 401 || err.status === 403)) {
    return html(c, messagePage("This link can't be used", String(err.detail), true), err.status);
  }
  throw err;
}

const origin = (c: Context<AppEnv>) => new URL(c.req.url).origin;

/** Emailed-link flows: magic link, password reset, email verification, and their pages. */
export const linkRoutes = createRouter()
  .openapi(
    publicRoute({
      method: "post",
      path: `${AUTH}/magic-link`,
      tags,
      summary: "Email a sign-in link",
      description: `Answers 202 with the same body whether or not the address belongs to an active account; only an active account gets an email. Its link opens \`GET /auth/magic-link?token=\` and works once within \`MAGIC_LINK_TTL_SECONDS\`. \`next\` (a path of this site, e.g. \`/trainings\`) is where the page's sign-in redirects. At most 5 requests per address and 20 per client IP in 15 minutes (429 \`RATE_LIMITED\` with \`Retry-After\`).`,
      request: { body: jsonBody(MagicLinkRequestBody) },
      responses: { 202: json(MessageSchema, "Accepted"), ...errors(429) },
    }),
    async (c) => {
      await requestMagicLink(c.get("deps"), origin(c), c.req.valid("json"));
      return c.json(ACCEPTED, 202);
    },
  )
  .openapi(
    publicRoute({
      method: "get",
      path: `${AUTH}/magic-link`,
      tags,
      summary: "The magic link's page: a button that signs in",
      description:
        "An HTML page whose button posts the token to `POST /auth/magic-link/verify`. Opening it uses nothing up (mail scanners fetch links). A token that can't be used shows why (400/401).",
      request: { query: TokenQuery },
      responses: { 200: htmlResponse("The sign-in page") },
    }),
    async (c) => {
      const { token } = c.req.valid("query");
      try {
        await checkToken(c.get("deps"), token, "magic_link");
      } catch (err) {
        return failurePage(c, err);
      }
      return html(c, magicLinkPage(`${AUTH}/magic-link/verify`, token));
    },
  )
  .openapi(
    publicRoute({
      method: "post",
      path: `${AUTH}/magic-link/verify`,
      tags,
      summary: "Sign in with a magic-link token",
      description:
        "JSON `{token}` answers the token pair (and sets the cookies). A form post (`application/x-www-form-urlencoded`, from the magic-link page of this site only: another `Origin` is 403 `CSRF_ORIGIN_REJECTED`) sets the cookies and answers 303 to the link's `next` (else `/`). The token works once, also under concurrent posts. Errors: 400 `LINK_TOKEN_MALFORMED`, 400 `LINK_TOKEN_WRONG_KIND`, 401 `LINK_TOKEN_INVALID`, `LINK_TOKEN_EXPIRED`, `LINK_TOKEN_USED`, 403 `ACCOUNT_DISABLED`. The first sign-in by link marks the email verified. With a TOTP second factor on, JSON answers `{mfa_required: true, mfa_token}` and a form post answers a page asking for the code, which posts to `POST /auth/mfa/verify`; the link is used up either way.",
      request: { body: jsonOrForm(TokenBody) },
      responses: {
        200: {
          description:
            "JSON: signed in, or (TOTP on) the second step to complete. Form post with TOTP on: the page that asks for the code",
          content: { "application/json": { schema: SignInSchema }, "text/html": { schema: { type: "string" } } },
        },
        303: { description: "Form post: signed in (cookies set), redirected to `next`" },
        ...errors(401, 403),
      },
    }),
    async (c) => {
      const form = isForm(c);
      if (form) assertOwnPageForm(c);
      const { token } = bodyOf(c, c.req.valid("form"), c.req.valid("json"));
      const step = await verifyMagicLink(c.get("deps"), token);
      if (!form) return c.json(await signInResponse(c, step, "Login successful"), 200);
      if ("challenge" in step) return html(c, mfaCodePage(MFA_VERIFY_PATH, step.challenge.mfa_token));
      setAuthCookies(c, step.pair);
      return c.redirect(step.next && isSafeNext(step.next) ? step.next : "/", 303);
    },
  )
  .openapi(
    publicRoute({
      method: "post",
      path: `${AUTH}/password-reset`,
      tags,
      summary: "Email a password-reset link",
      description:
        "Answers 202 with the same body for every address; only an active account gets an email, whose link (`GET /auth/password-reset?token=`) works once within 30 minutes. At most 5 requests per address and 20 per client IP in 15 minutes (429 `RATE_LIMITED`).",
      request: { body: jsonBody(EmailOnlyBody) },
      responses: { 202: json(MessageSchema, "Accepted"), ...errors(429) },
    }),
    async (c) => {
      await requestPasswordReset(c.get("deps"), origin(c), c.req.valid("json"));
      return c.json(ACCEPTED, 202);
    },
  )
  .openapi(
    publicRoute({
      method: "get",
      path: `${AUTH}/password-reset`,
      tags,
      summary: "The password-reset form",
      description:
        "An HTML form that posts the token and the new password to `POST /auth/password-reset/confirm`. Opening it uses nothing up.",
      request: { query: TokenQuery },
      responses: { 200: htmlResponse("The reset form") },
    }),
    async (c) => {
      const { token } = c.req.valid("query");
      try {
        await checkToken(c.get("deps"), token, "password_reset");
      } catch (err) {
        return failurePage(c, err);
      }
      return html(c, passwordResetPage(`${AUTH}/password-reset/confirm`, token));
    },
  )
  .openapi(
    publicRoute({
      method: "post",
      path: `${AUTH}/password-reset/confirm`,
      tags,
      summary: "Set a new password with a reset token; every session of the user is revoked",
      description:
        "JSON `{token, new_password}` answers 200 `{message}`; the form of the reset page (from this site only) answers a page. The password policy applies (422). Token errors as for magic links (`LINK_TOKEN_*`); a magic-link or verification token is 400 `LINK_TOKEN_WRONG_KIND`. 503 `PASSWORD_POLICY_UNAVAILABLE` (the token stays unused) when the common-password list can't be loaded.",
      request: { body: jsonOrForm(PasswordResetConfirmBody) },
      responses: {
        200: {
          description: "Password changed (a page for the form post)",
          content: {
            "application/json": { schema: MessageSchema },
            "text/html": { schema: { type: "string" as const } },
          },
        },
        ...errors(401, 403, 503),
      },
    }),
    async (c) => {
      const form = isForm(c);
      if (form) assertOwnPageForm(c);
      const input = bodyOf(c, c.req.valid("form"), c.req.valid("json"));
      if (typeof input.new_password !== "string") throw invalid(["body", "new_password"], "Field required", "missing");
      await confirmPasswordReset(c.get("deps"), input);
      const message = "Password changed successfully; sign in with the new password";
      if (form) return html(c, messagePage("Password changed", message));
      return c.json({ message }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "post",
      path: `${AUTH}/verify-email`,
      tags,
      summary: "Send the verification email again",
      description:
        "Answers 202; an address that is already verified gets no email. At most 5 per address and 20 per client IP in 15 minutes (429 `RATE_LIMITED`).",
      permission: "authenticated",
      responses: { 202: json(MessageSchema, "Accepted"), ...errors(429) },
    }),
    async (c) => {
      const sent = await resendVerification(c.get("deps"), origin(c), c.get("auth").userId);
      return c.json({ message: sent ? "Verification email sent" : "Email address already verified" }, 202);
    },
  )
  .openapi(
    publicRoute({
      method: "post",
      path: `${AUTH}/verify-email/confirm`,
      tags,
      summary: "Verify the email address with a verification token",
      description:
        "Marks `email_verified`, while the user's address is still the one the token was sent to. Token errors as for magic links (`LINK_TOKEN_*`).",
      request: { body: jsonOrForm(TokenBody) },
      responses: { 200: json(MessageSchema, "Verified"), ...errors(401, 403) },
    }),
    async (c) => {
      if (isForm(c)) assertOwnPageForm(c);
      const { token } = bodyOf(c, c.req.valid("form"), c.req.valid("json"));
      await confirmEmailVerification(c.get("deps"), token);
      return c.json({ message: "Email address verified" }, 200);
    },
  )
  .openapi(
    publicRoute({
      method: "get",
      path: `${AUTH}/verify-email`,
      tags,
      summary: "The verification link's page: verifies the address",
      description: "Uses the token up and shows the outcome as a page (400/401 with the reason when it can't be used).",
      request: { query: TokenQuery },
      responses: { 200: htmlResponse("The outcome") },
    }),
    async (c) => {
      try {
        await confirmEmailVerification(c.get("deps"), c.req.valid("query").token);
      } catch (err) {
        return failurePage(c, err);
      }
      return html(c, messagePage("Email address verified", "Thank you: your email address is confirmed."));
    },
  )
  .openapi(
    publicRoute({
      method: "get",
      path: `${AUTH}/confirm-email`,
      tags,
      summary: "The email-change link's page: a button that confirms the new address",
      description:
        "An HTML page, from the link sent to the new address when a user changes its own email, whose button posts the token to `POST /auth/confirm-email`. Opening it uses nothing up (mail scanners fetch links). A token that can't be used shows why (400/401).",
      request: { query: TokenQuery },
      responses: { 200: htmlResponse("The confirmation page") },
    }),
    async (c) => {
      const { token } = c.req.valid("query");
      let newEmail: string;
      try {
        newEmail = await pendingEmailOf(c.get("deps"), token);
      } catch (err) {
        return failurePage(c, err);
      }
      return html(c, confirmEmailPage(`${AUTH}/confirm-email`, token, newEmail));
    },
  )
  .openapi(
    publicRoute({
      method: "post",
      path: `${AUTH}/confirm-email`,
      tags,
      summary: "Confirm a new email address with the link sent to it",
      description:
        "The user's email becomes the new address (verified), while it still has the address the change was asked from; the link works once. JSON `{token}` answers `{message}`; the form of the confirmation page (from this site only) answers a page. A new address taken meanwhile is 409 `EMAIL_TAKEN`. Token errors as for magic links (`LINK_TOKEN_*`).",
      request: { body: jsonOrForm(TokenBody) },
      responses: {
        200: {
          description: "Email changed (a page for the form post)",
          content: {
            "application/json": { schema: MessageSchema },
            "text/html": { schema: { type: "string" as const } },
          },
        },
        ...errors(401, 403, 409),
      },
    }),
    async (c) => {
      const form = isForm(c);
      if (form) assertOwnPageForm(c);
      const { token } = bodyOf(c, c.req.valid("form"), c.req.valid("json"));
      await confirmEmailChange(c.get("deps"), token);
      const message = "Email address changed";
      if (form) return html(c, messagePage(message, "Your account now uses its new email address."));
      return c.json({ message }, 200);
    },
  );
