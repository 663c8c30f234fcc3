import type { Context } from "hono";
import { dbOf } from "../../db/client";
import type { AppEnv } from "../../env";
import { configOf } from "../../lib/config";
import { keyRing } from "../../lib/jwt";
import type { AuthDeps } from "./auth-service";
import type { RequestMeta } from "./session-service";

/** The auth services' dependencies, built from the request's bindings. */
export async function authDeps(c: Context<AppEnv>): Promise<AuthDeps> {
  return {
    d1: c.env.DB,
    db: dbOf(c.env.DB),
    kv: c.env.RATE_LIMIT_KV,
    pepper: c.env.PASSWORD_PEPPER,
    config: configOf(c.env),
    ring: await keyRing(c.env.JWT_PRIVATE_KEY, c.env.JWT_PREVIOUS_PUBLIC_KEY),
  };
}

/** Client IP and user agent (cut to 300 characters), for the audit trail and sessions. */
export function requestMeta(c: Context): RequestMeta {
  return {
    ip: c.req.header("cf-connecting-ip")?.slice(0, 64) ?? null,
    userAgent: c.req.header("user-agent")?.slice(0, 300) ?? null,
  };
}
