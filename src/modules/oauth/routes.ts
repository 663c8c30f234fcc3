import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { API_PREFIX } from "../../app-info";
import type { AppEnv } from "../../env";
import { AppError } from "../../lib/errors";
import { errors, json } from "../../lib/openapi";
import { singleCookie } from "../../middleware/authenticate";
import { createRouter, publicRoute } from "../../middleware/route";
import { html, isSafeNext, MFA_VERIFY_PATH, messagePage, mfaCodePage, setAuthCookies } from "../auth";
import { finishOAuthSignIn, startOAuthSignIn } from "./oauth-service";
import { configuredProviders, PROVIDER_LABELS } from "./providers";
import { CallbackQuery, ProviderList, ProviderParam, StartQuery } from "./schemas";
import { STATE_COOKIE, STATE_TTL_SECONDS } from "./state";

const OAUTH = `${API_PREFIX}/auth/oauth`;

/** The provider callbacks: GETs that may create a user (and record `user.registered`). */
export const OAUTH_CALLBACK_PATHS = new RegExp(`^${OAUTH}/[^/]+/callback$`);
const tags = ["Authentication"];

/** The state cookie is sent only to the sign-in routes. */
const STATE_COOKIE_OPTIONS = { httpOnly: true, secure: true, sameSite: "Lax", path: OAUTH } as const;

const origin = (c: Context<AppEnv>) => new URL(c.req.url).origin;

/**
 * A failed browser sign-in: a page that says why (with the error's status) when the browser asks for
 * HTML, else the JSON error. Anything but a 4xx `AppError` goes on to `onError`.
 */
function failure(c: Context<AppEnv>, err: unknown) {
  const wantsHtml = (c.req.header("accept") ?? "").includes("text/html");
  if (!(err instanceof AppError) || err.status >= 500 || !wantsHtml) throw err;
  return html(c, messagePage("Sign-in failed", String(err.detail), true), err.status as 400);
}

/** Sign-in with Google, GitHub and an OpenID Connect issuer. */
export const oauthRoutes = createRouter()
  .openapi(
    publicRoute({
      method: "get",
      path: `${OAUTH}/providers`,
      tags,
      summary: "The sign-in providers configured on this server",
      responses: { 200: json(ProviderList, "Configured providers (possibly none)") },
    }),
    (c) =>
      c.json(
        {
          providers: configuredProviders(c.get("deps")).map((provider) => ({
            provider,
            name: PROVIDER_LABELS[provider],
            authorization_url: `${OAUTH}/${provider}`,
          })),
        },
        200,
      ),
  )
  .openapi(
    publicRoute({
      method: "get",
      path: `${OAUTH}/{provider}`,
      tags,
      summary: "Start signing in with a provider (a browser navigation)",
      description:
        "Answers 302 to the provider's authorization endpoint with a new `state` (random, stored hashed for 10 minutes, usable once, bound to this browser by an HttpOnly cookie), PKCE (`S256`), the redirect URI `PUBLIC_URL` + `/api/v1/auth/oauth/{provider}/callback`, the scopes for email and profile only, and for OpenID providers (`google`, `oidc`) a `nonce`. `next` (a path of this site, else 422) is where the browser goes once signed in. A provider that is not configured is 404 `OAUTH_PROVIDER_NOT_CONFIGURED`; an OpenID issuer whose discovery document can't be read is 400 `OAUTH_PROVIDER_ERROR`. Errors are an HTML page for a browser (`Accept: text/html`), JSON otherwise.",
      request: { params: ProviderParam, query: StartQuery },
      responses: { 302: { description: "To the provider's sign-in" }, ...errors(400, 404) },
    }),
    async (c) => {
      try {
        const started = await startOAuthSignIn(
          c.get("deps"),
          origin(c),
          c.req.valid("param").provider,
          c.req.valid("query").next,
        );
        setCookie(c, STATE_COOKIE, started.stateHash, { ...STATE_COOKIE_OPTIONS, maxAge: STATE_TTL_SECONDS });
        return c.redirect(started.location, 302);
      } catch (err) {
        return failure(c, err);
      }
    },
  )
  .openapi(
    publicRoute({
      method: "get",
      path: `${OAUTH}/{provider}/callback`,
      tags,
      summary: "Where the provider sends the browser back: signs in and redirects",
      description:
        "Checks the `state`: it must be this browser's, known, unused and under 10 minutes old (else 400 `OAUTH_STATE_INVALID`, `OAUTH_STATE_USED` or `OAUTH_STATE_EXPIRED`). Exchanges the code (with the PKCE verifier, within a timeout) and reads the identity: for `google` and `oidc` from the ID token, verified against the issuer's key set (`iss`, `aud`, `exp`, `nonce`, an algorithm the issuer advertises; else 400 `OAUTH_ID_TOKEN_INVALID`), for `github` from its user and emails APIs (its primary email, only if verified; else 400 `OAUTH_EMAIL_UNAVAILABLE`). A refusal or failure of the provider is 400 `OAUTH_PROVIDER_ERROR`. Then an identity already linked signs in its user; otherwise the user with the same email is linked, only when the provider has verified that email (else 409 `OAUTH_EMAIL_NOT_VERIFIED`) and the account has verified it too (else 409 `OAUTH_ACCOUNT_NOT_VERIFIED`); otherwise, with an email the provider has verified (else 400 `OAUTH_EMAIL_UNAVAILABLE`), a new user is created (role EMPLOYEE, no password, email verified, `auth_provider` the provider, a username derived from the profile). A deactivated user is 403 `ACCOUNT_DISABLED`. The session is a password login's (cookies, refresh family, audit event `oauth_login`) and the answer a 303 to the sign-in's `next` (else `/`); for an account with TOTP on, the answer is a page that asks for the code and posts it to `POST /auth/mfa/verify`, which then sets the cookies and redirects. Errors are an HTML page for a browser (`Accept: text/html`), JSON otherwise.",
      request: { params: ProviderParam, query: CallbackQuery },
      responses: {
        200: {
          description: "TOTP on: the page that asks for the code (posted to `POST /auth/mfa/verify`)",
          content: { "text/html": { schema: { type: "string" } } },
        },
        303: { description: "Signed in (cookies set), redirected to `next`" },
        ...errors(400, 403, 404, 409),
      },
    }),
    async (c) => {
      try {
        const stateCookie = singleCookie(c.req.raw, STATE_COOKIE);
        // The state is spent by this request whatever its outcome: the cookie goes too.
        deleteCookie(c, STATE_COOKIE, STATE_COOKIE_OPTIONS);
        const step = await finishOAuthSignIn(
          c.get("deps"),
          origin(c),
          c.req.valid("param").provider,
          c.req.valid("query"),
          stateCookie,
        );
        if ("challenge" in step) {
          // TOTP on: the page asks for the code and posts it, with the mfa_token, to finish the sign-in.
          return html(c, mfaCodePage(MFA_VERIFY_PATH, step.challenge.mfa_token));
        }
        setAuthCookies(c, step.pair);
        return c.redirect(step.next && isSafeNext(step.next) ? step.next : "/", 303);
      } catch (err) {
        return failure(c, err);
      }
    },
  );
