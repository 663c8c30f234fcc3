import { API_PREFIX } from "../../app-info";
import { runBatch } from "../../db/statement";
import { isoNow } from "../../lib/clock";
import { HttpErrors } from "../../lib/errors";
import { verifyToken } from "../../lib/jwt";
import { errors, json, jsonBody, MessageSchema } from "../../lib/openapi";
import {
  ACCESS_COOKIE,
  assertSameOrigin,
  bearerToken,
  REFRESH_COOKIE,
  singleCookie,
} from "../../middleware/authenticate";
import { createRouter, guardedRoute, publicRoute } from "../../middleware/route";
import { currentUser, MeSchema, userViewRead } from "../access";
import { auditStatement } from "../audit";
import { revokeSessionStatement, rotateRefreshToken } from "../sessions";
import { changePassword, login, register } from "./auth-service";
import { clearAuthCookies } from "./cookies";
import {
  ChangePasswordBody,
  JwksSchema,
  LoginBody,
  RefreshBody,
  RegisterBody,
  SignInSchema,
  TokenPairSchema,
} from "./schemas";
import { signInResponse, tokenResponse } from "./token-response";

const AUTH = `${API_PREFIX}/auth`;
const tags = ["Authentication"];

/** Password sign-in and sessions: register, login, refresh, logout, change-password, me, JWKS. */
export const authRoutes = createRouter()
  .openapi(
    publicRoute({
      method: "post",
      path: `${AUTH}/register`,
      tags,
      summary: "Register a new user (role EMPLOYEE)",
      description:
        "Signs the new user in (a session, cookies), records `user.registered` and queues the verification email (its link opens `GET /auth/verify-email?token=`), all in one batch. `organization_ids` may only name active organizations whose `domain` is the email's domain (422 otherwise); the user joins them once its email is verified (by the verification link, or a first sign-in by emailed link), never before. A taken username or email is 409 `USERNAME_TAKEN` / `EMAIL_TAKEN`. The password policy applies (422); 503 `PASSWORD_POLICY_UNAVAILABLE` (nothing written) when the common-password list can't be loaded.",
      request: { body: jsonBody(RegisterBody) },
      responses: { 201: json(TokenPairSchema, "Registered and signed in"), ...errors(409, 503) },
    }),
    async (c) => {
      const { userId, pair, user } = await register(c.get("deps"), c.req.valid("json"), new URL(c.req.url).origin);
      return c.json(await tokenResponse(c, userId, pair, "User registered successfully", user), 201);
    },
  )
  .openapi(
    publicRoute({
      method: "post",
      path: `${AUTH}/login`,
      tags,
      summary: "Sign in with username or email and password",
      description:
        'An unknown user and a wrong password answer the same 401 `INVALID_CREDENTIALS` after the same hashing work; a deactivated account is 403 `ACCOUNT_DISABLED`, told only after a correct password. With a TOTP second factor on, a correct password answers `{mfa_required: true, mfa_token}` (no tokens, no cookies) and `POST /auth/mfa/verify` completes the sign-in. Failed attempts are counted per account and network: repeated failures lock that network out of the account for a while (429 `ACCOUNT_LOCKED` with `Retry-After`), and too many in an hour from all networks together suspend password sign-in for the account (429 `PASSWORD_SIGNIN_SUSPENDED` with `Retry-After`; the emailed link still works). See the README\'s "Security".',
      request: { body: jsonBody(LoginBody) },
      responses: {
        200: json(SignInSchema, "Signed in, or (TOTP on) the second step to complete"),
        ...errors(401, 403, 429),
      },
    }),
    async (c) => {
      const step = await login(c.get("deps"), c.req.valid("json"));
      return c.json(await signInResponse(c, step, "Login successful"), 200);
    },
  )
  .openapi(
    publicRoute({
      method: "post",
      path: `${AUTH}/refresh`,
      tags,
      summary: "Rotate a refresh token (from the body, the refresh_token cookie or Authorization: Bearer)",
      description: `The presented token is used up and a new pair issued; presenting a used token again more than a few seconds later revokes its whole session (401 \`REFRESH_TOKEN_REUSED\`; within those seconds it is refused and recorded). A token that fails otherwise (expired, forged, of another type, of an ended session) is 401 \`Invalid refresh token\`, with code \`TOKEN_EXPIRED\` or \`INVALID_TOKEN\`. A token taken from the cookie must come with this origin or one of ALLOWED_ORIGINS (403 \`CSRF_ORIGIN_REJECTED\`); two refresh_token cookies are 400 \`DUPLICATE_COOKIE\`.`,
      request: { body: { required: false, content: { "application/json": { schema: RefreshBody } } } },
      responses: { 200: json(TokenPairSchema, "A new token pair"), ...errors(401, 403) },
    }),
    async (c) => {
      const fromBody = (c.req.valid("json") as { refresh_token?: string } | undefined)?.refresh_token;
      const fromCookie = fromBody === undefined ? singleCookie(c.req.raw, REFRESH_COOKIE) : undefined;
      if (fromCookie !== undefined) assertSameOrigin(c.req.raw, c.get("deps").config.allowedOrigins);
      const token = fromBody ?? fromCookie ?? bearerToken(c.req.header("authorization"));
      if (!token) throw HttpErrors.INVALID_TOKEN("No refresh token given");
      const { userId, pair, read, rows } = await rotateRefreshToken(c.get("deps"), token, (id) =>
        userViewRead(c.get("deps"), id),
      );
      return c.json(await tokenResponse(c, userId, pair, "Token refreshed successfully", read.view(rows)), 200);
    },
  )
  .openapi(
    publicRoute({
      method: "post",
      path: `${AUTH}/logout`,
      tags,
      summary: "Revoke the session (its whole refresh family) and clear the cookies",
      description:
        "Identifies the session by the access token (header or cookie) or, when that has expired, by the refresh token (body or cookie). A cookie-identified logout must come with this origin or one of ALLOWED_ORIGINS (403 `CSRF_ORIGIN_REJECTED`).",
      request: { body: { required: false, content: { "application/json": { schema: RefreshBody } } } },
      responses: { 200: json(MessageSchema, "Signed out"), ...errors(401, 403) },
    }),
    async (c) => {
      const deps = c.get("deps");
      const ring = await deps.keys();
      const now = deps.clock.now();
      const bearer = bearerToken(c.req.header("authorization"));
      const fromBody = (c.req.valid("json") as { refresh_token?: string } | undefined)?.refresh_token;
      const accessCookie = bearer === undefined ? singleCookie(c.req.raw, ACCESS_COOKIE) : undefined;
      const refreshCookie = fromBody === undefined ? singleCookie(c.req.raw, REFRESH_COOKIE) : undefined;
      if (accessCookie !== undefined || refreshCookie !== undefined)
        assertSameOrigin(c.req.raw, deps.config.allowedOrigins);
      const access = bearer ?? accessCookie;
      const refresh = fromBody ?? refreshCookie;
      let claims: { sub: string; sid: string } | undefined;
      if (access) claims = await verifyToken(ring, access, "access", now).catch(() => undefined);
      if (!claims && refresh) claims = await verifyToken(ring, refresh, "refresh", now).catch(() => undefined);
      if (!claims) throw HttpErrors.INVALID_TOKEN("No valid session to sign out of");
      const at = isoNow(deps.clock);
      await runBatch(deps.d1, [
        revokeSessionStatement(deps.d1, claims.sid, "logout", at),
        auditStatement(deps.d1, { event: "logout", user: Number(claims.sub), meta: deps.meta, at }),
      ]);
      clearAuthCookies(c);
      return c.json({ message: "Logged out successfully" }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "post",
      path: `${AUTH}/change-password`,
      tags,
      summary: "Change the caller's password; every other session is revoked",
      description:
        "A wrong current password is 400 `INVALID_CURRENT_PASSWORD`; wrong current passwords are counted like failed logins, in a count of their own, and too many answer 429 `PASSWORD_CHECK_LOCKED` with `Retry-After`. The new password is judged (422) before the current one is checked. The caller's own session stays signed in. 503 `PASSWORD_POLICY_UNAVAILABLE` (nothing written) when the common-password list can't be loaded.",
      permission: "authenticated",
      request: { body: jsonBody(ChangePasswordBody) },
      responses: { 200: json(MessageSchema, "Password changed"), ...errors(429, 503) },
    }),
    async (c) => {
      await changePassword(c.get("deps"), c.get("auth"), c.req.valid("json"));
      return c.json({ message: "Password changed successfully" }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${AUTH}/me`,
      tags,
      summary: "The signed-in user (also at /users/me)",
      permission: "authenticated",
      responses: { 200: json(MeSchema, "The caller") },
    }),
    async (c) => c.json(await currentUser(c.get("deps"), c.get("auth")), 200),
  )
  .openapi(
    publicRoute({
      method: "get",
      path: "/.well-known/jwks.json",
      tags,
      summary: "Public keys that verify this API's tokens (current and previous)",
      responses: { 200: json(JwksSchema, "JSON Web Key Set") },
    }),
    async (c) => {
      const ring = await c.get("deps").keys();
      c.header("Cache-Control", "public, max-age=300");
      return c.json(ring.jwks as { keys: Record<string, unknown>[] }, 200);
    },
  );
