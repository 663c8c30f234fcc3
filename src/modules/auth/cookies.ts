import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { API_PREFIX } from "../../app-info";
import { ACCESS_COOKIE, REFRESH_COOKIE } from "../../middleware/authenticate";

/** The refresh cookie is only sent to the auth endpoints. */
export const REFRESH_COOKIE_PATH = `${API_PREFIX}/auth`;

/** Sets the `access_token` and `refresh_token` cookies (HttpOnly, Secure, SameSite=Lax). */
export function setAuthCookies(
  c: Context,
  pair: { accessToken: string; refreshToken: string; accessTtl: number; refreshTtl: number },
) {
  setCookie(c, ACCESS_COOKIE, pair.accessToken, {
    httpOnly: true,
    secure: true,
    sameSite: "Lax",
    path: "/",
    maxAge: pair.accessTtl,
  });
  setCookie(c, REFRESH_COOKIE, pair.refreshToken, {
    httpOnly: true,
    secure: true,
    sameSite: "Lax",
    path: REFRESH_COOKIE_PATH,
    maxAge: pair.refreshTtl,
  });
}

/** Expires both auth cookies. */
export function clearAuthCookies(c: Context) {
  deleteCookie(c, ACCESS_COOKIE, { path: "/", secure: true, httpOnly: true, sameSite: "Lax" });
  deleteCookie(c, REFRESH_COOKIE, { path: REFRESH_COOKIE_PATH, secure: true, httpOnly: true, sameSite: "Lax" });
}
