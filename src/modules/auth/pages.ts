import { randomToken } from "../../lib/encoding";
import { escapeHtml as e, PRODUCT_NAME } from "../email";

/** A rendered page and the Content-Security-Policy it is served with. */
export interface Page {
  html: string;
  csp: string;
}

const STYLE = `
:root { color-scheme: light dark; }
* { box-sizing: border-box; }
body { margin: 0; font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; background: #f4f5f7; color: #1a1a1a; }
main { max-width: 28rem; margin: 12vh auto 0; padding: 1.5rem; background: #fff; border-radius: 0.5rem; box-shadow: 0 1px 4px rgb(0 0 0 / 0.12); }
h1 { font-size: 1.4rem; margin: 0 0 0.75rem; }
p { margin: 0 0 1rem; }
label { display: block; font-weight: 600; margin-bottom: 0.3rem; }
input { width: 100%; font: inherit; padding: 0.6rem; border: 1px solid #767676; border-radius: 0.3rem; margin-bottom: 0.4rem; }
.hint { font-size: 0.9rem; color: #4a4a4a; }
button { width: 100%; font: inherit; font-weight: 600; padding: 0.75rem; border: 0; border-radius: 0.3rem; background: #1d4ed8; color: #fff; cursor: pointer; min-height: 2.75rem; }
button:focus-visible, input:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.error { color: #b91c1c; }
footer { max-width: 28rem; margin: 1rem auto; text-align: center; font-size: 0.85rem; color: #4a4a4a; }
@media (prefers-color-scheme: dark) {
  body { background: #111827; color: #f3f4f6; } main { background: #1f2937; } .hint, footer { color: #d1d5db; }
  input { background: #111827; color: #f3f4f6; border-color: #9ca3af; } .error { color: #fca5a5; }
}
@media (max-width: 30rem) { main { margin: 0; border-radius: 0; box-shadow: none; min-height: 100vh; } }
`;

/** What a page may change of the shell: its stylesheet, its footer's text, whether it has forms. */
export interface PageOptions {
  style?: string;
  footer?: string;
  /** A page without forms says so in its CSP (`form-action 'none'`). */
  forms?: boolean;
}

/**
 * A small page of this API: no script, no external asset, its one inline style allowed by a nonce;
 * forms post to this origin only and the page can't be framed.
 */
export function page(title: string, content: string, options: PageOptions = {}): Page {
  const nonce = randomToken(16);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${e(title)} · ${e(PRODUCT_NAME)}</title>
<style nonce="${nonce}">${options.style ?? STYLE}</style>
</head>
<body>
<main>
<h1>${e(title)}</h1>
${content}
</main>
<footer>${e(options.footer ?? PRODUCT_NAME)}</footer>
</body>
</html>`;
  const csp = [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    options.forms === false ? "form-action 'none'" : "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
  return { html, csp };
}

/** The magic-link page: a button that posts the token (a GET never uses it up). */
export function magicLinkPage(action: string, token: string): Page {
  return page(
    "Sign in",
    `<p>Select the button to finish signing in. The link works once.</p>
<form method="post" action="${e(action)}">
<input type="hidden" name="token" value="${e(token)}">
<button type="submit">Sign in</button>
</form>`,
  );
}

/** The email-change page: a button that confirms the new address (a GET never uses the link up). */
export function confirmEmailPage(action: string, token: string, newEmail: string): Page {
  return page(
    "Confirm your new email address",
    `<p>Select the button to use <strong>${e(newEmail)}</strong> as your account's email address from now on. The link works once.</p>
<form method="post" action="${e(action)}">
<input type="hidden" name="token" value="${e(token)}">
<button type="submit">Use this address</button>
</form>`,
  );
}

/** The password-reset form. */
export function passwordResetPage(action: string, token: string): Page {
  return page(
    "Choose a new password",
    `<form method="post" action="${e(action)}">
<input type="hidden" name="token" value="${e(token)}">
<label for="new_password">New password</label>
<input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="8" maxlength="256" required aria-describedby="password-hint">
<p id="password-hint" class="hint">At least 8 characters. Every device signed in to your account will be signed out.</p>
<button type="submit">Set new password</button>
</form>`,
  );
}

/** A page that states an outcome (done, or why not). */
export function messagePage(title: string, message: string, isError = false): Page {
  return page(title, `<p${isError ? ' class="error" role="alert"' : ""}>${e(message)}</p>`);
}

/** The second step of a form sign-in with TOTP on: the code of the authenticator app (or a recovery code). */
export function mfaCodePage(action: string, mfaToken: string, error?: string): Page {
  return page(
    "Enter your code",
    `${error ? `<p class="error" role="alert">${e(error)}</p>\n` : ""}<form method="post" action="${e(action)}">
<input type="hidden" name="mfa_token" value="${e(mfaToken)}">
<label for="code">Authentication code</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="32" required aria-describedby="code-hint">
<p id="code-hint" class="hint">The 6-digit code of your authenticator app, or one of your recovery codes. Within 5 minutes.</p>
<button type="submit">Sign in</button>
</form>`,
  );
}
