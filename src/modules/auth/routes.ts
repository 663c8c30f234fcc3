import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { API_PREFIX } from "../../app-info";
import { dbOf } from "../../db/client";
import type { AppEnv } from "../../env";
import { ErrorCodes, notFound, unauthorized } from "../../lib/errors";
import { guardedRoute } from "../../lib/guarded-route";
import { verifyToken } from "../../lib/jwt";
import { createRouter, errors, json, jsonBody, MessageSchema } from "../../lib/openapi";
import { ACCESS_COOKIE, bearerToken, REFRESH_COOKIE } from "../../middleware/authenticate";
import { findUserViewById } from "../users/user-repository";
import { toUserView } from "../users/user-view";
import { changePassword, login, register } from "./auth-service";
import { clearAuthCookies, setAuthCookies } from "./cookies";
import { authDeps, requestMeta } from "./deps";
import {
  ChangePasswordBody,
  JwksSchema,
  LoginBody,
  MeSchema,
  RefreshBody,
  RegisterBody,
  TokenPairSchema,
} from "./schemas";
import { auditStatement, type IssuedPair, revokeSessionStatement, rotateRefreshToken } from "./session-service";

const AUTH = `${API_PREFIX}/auth`;
const tags = ["Authentication"];

/** Answers a token pair with the user, and sets the auth cookies. */
async function tokenResponse(c: Context<AppEnv>, userId: number, pair: IssuedPair, message: string) {
  const row = await findUserViewById(dbOf(c.env.DB), userId);
  if (!row) throw notFound("User", userId);
  setAuthCookies(c, pair);
  c.header("Cache-Control", "no-store");
  return {
    access_token: pair.accessToken,
    refresh_token: pair.refreshToken,
    token_type: "bearer" as const,
    expires_in: pair.accessTtl,
    user: toUserView(row),
    message,
  };
}

async function me(c: Context<AppEnv>) {
  const row = await findUserViewById(dbOf(c.env.DB), c.var.auth.userId);
  if (!row) throw unauthorized();
  return { user: toUserView(row), message: "User information retrieved successfully" };
}

const meRoute = (path: string) =>
  guardedRoute({
    method: "get",
    path,
    tags,
    summary: "The signed-in user",
    permission: "authenticated",
    responses: { 200: json(MeSchema, "The caller") },
  });

/** Password sign-in and sessions: register, login, refresh, logout, change-password, me, JWKS. */
export const authRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: `${AUTH}/register`,
      tags,
      summary: "Register a new user (role EMPLOYEE)",
      request: { body: jsonBody(RegisterBody) },
      responses: { 201: json(TokenPairSchema, "Registered and signed in"), ...errors(400, 409, 413, 415, 422) },
    }),
    async (c) => {
      const deps = await authDeps(c);
      const { userId, pair } = await register(deps, c.req.valid("json"), requestMeta(c));
      return c.json(await tokenResponse(c, userId, pair, "User registered successfully"), 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: `${AUTH}/login`,
      tags,
      summary: "Sign in with username or email and password",
      request: { body: jsonBody(LoginBody) },
      responses: {
        200: json(TokenPairSchema, "Signed in"),
        ...errors(400, 401, 413, 415, 422, 429),
        403: json(
          z.object({ detail: z.string(), status: z.literal("error"), code: z.string() }),
          "Account deactivated",
        ),
      },
    }),
    async (c) => {
      const deps = await authDeps(c);
      const { userId, pair } = await login(deps, c.req.valid("json"), requestMeta(c));
      return c.json(await tokenResponse(c, userId, pair, "Login successful"), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: `${AUTH}/refresh`,
      tags,
      summary: "Rotate a refresh token (from the body, the refresh_token cookie or Authorization: Bearer)",
      request: { body: { required: false, content: { "application/json": { schema: RefreshBody } } } },
      responses: { 200: json(TokenPairSchema, "A new token pair"), ...errors(400, 401, 415, 422) },
    }),
    async (c) => {
      const fromBody = (c.req.valid("json") as { refresh_token?: string } | undefined)?.refresh_token;
      const token = fromBody ?? getCookie(c, REFRESH_COOKIE) ?? bearerToken(c.req.header("authorization"));
      if (!token) throw unauthorized("No refresh token given", ErrorCodes.INVALID_TOKEN);
      const deps = await authDeps(c);
      const { userId, pair } = await rotateRefreshToken(deps, token, requestMeta(c));
      return c.json(await tokenResponse(c, userId, pair, "Token refreshed successfully"), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: `${AUTH}/logout`,
      tags,
      summary: "Revoke the session (its whole refresh family) and clear the cookies",
      description:
        "Identifies the session by the access token (header or cookie) or, when that has expired, by the refresh token (body or cookie).",
      request: { body: { required: false, content: { "application/json": { schema: RefreshBody } } } },
      responses: { 200: json(MessageSchema, "Signed out"), ...errors(401, 415, 422) },
    }),
    async (c) => {
      const deps = await authDeps(c);
      const access = bearerToken(c.req.header("authorization")) ?? getCookie(c, ACCESS_COOKIE);
      const refresh =
        (c.req.valid("json") as { refresh_token?: string } | undefined)?.refresh_token ?? getCookie(c, REFRESH_COOKIE);
      let claims: { sub: string; sid: string } | undefined;
      if (access) claims = await verifyToken(deps.ring, access, "access").catch(() => undefined);
      if (!claims && refresh) claims = await verifyToken(deps.ring, refresh, "refresh").catch(() => undefined);
      if (!claims) throw unauthorized("No valid session to sign out of", ErrorCodes.INVALID_TOKEN);
      await deps.d1.batch([
        revokeSessionStatement(deps.d1, claims.sid, "logout"),
        auditStatement(deps.d1, "logout", Number(claims.sub), requestMeta(c)),
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
      permission: "authenticated",
      request: { body: jsonBody(ChangePasswordBody) },
      responses: { 200: json(MessageSchema, "Password changed"), ...errors(400, 413, 415, 422) },
    }),
    async (c) => {
      const deps = await authDeps(c);
      await changePassword(deps, c.var.auth, c.req.valid("json"), requestMeta(c));
      return c.json({ message: "Password changed successfully" }, 200);
    },
  )
  .openapi(meRoute(`${AUTH}/me`), async (c) => c.json(await me(c), 200))
  .openapi(meRoute(`${API_PREFIX}/users/me`), async (c) => c.json(await me(c), 200))
  .openapi(
    createRoute({
      method: "get",
      path: "/.well-known/jwks.json",
      tags,
      summary: "Public keys that verify this API's tokens (current and previous)",
      responses: { 200: json(JwksSchema, "JSON Web Key Set") },
    }),
    async (c) => {
      const deps = await authDeps(c);
      c.header("Cache-Control", "public, max-age=300");
      return c.json(deps.ring.jwks as { keys: Record<string, unknown>[] }, 200);
    },
  );
