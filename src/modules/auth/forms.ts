import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { HttpErrors } from "../../lib/errors";
import type { jsonBody } from "../../lib/openapi";
import type { Page } from "./pages";

/** A body that is JSON or a form post (the pages' forms), documented as both. */
export function jsonOrForm<T extends Parameters<typeof jsonBody>[0]>(schema: T) {
  return {
    required: false,
    content: { "application/json": { schema }, "application/x-www-form-urlencoded": { schema } },
  } as const;
}

export const isForm = (c: Context<AppEnv>) =>
  (c.req.header("content-type") ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded");

/**
 * A form post must come from this site's own page: its `Origin` must be this origin (or `PUBLIC_URL`'s);
 * without `Origin`, `Sec-Fetch-Site` must say same-origin. Anything else is a cross-site form (login CSRF).
 */
export function assertOwnPageForm(c: Context<AppEnv>) {
  const own = new Set([new URL(c.req.url).origin]);
  const publicUrl = c.get("deps").config.publicUrl;
  if (publicUrl) own.add(new URL(publicUrl).origin);
  const origin = c.req.header("origin");
  if (origin !== undefined ? own.has(origin) : c.req.header("sec-fetch-site") === "same-origin") return;
  throw HttpErrors.CSRF_ORIGIN_REJECTED();
}

export function html(c: Context<AppEnv>, p: Page, status: 200 | 400 | 401 | 403 = 200) {
  return c.html(p.html, status, { "Content-Security-Policy": p.csp });
}

export const htmlResponse = (description: string) => ({
  description,
  content: { "text/html": { schema: { type: "string" as const } } },
});
