import { DEFAULT_JWT_ISSUER, type TokenIdentity } from "./jwt";

/**
 * Typed configuration read from the Worker's vars and secrets, with the contract's defaults.
 * Parsed once per `env` object. A field is added with the feature that reads it.
 *
 * @example
 *   const cfg = configOf(c.env); cfg.accessTokenTtl // 900
 */
export interface Config {
  /** `ALLOWED_ORIGINS`, else `PUBLIC_URL`: origins allowed for CORS and cookie-authenticated changes. */
  allowedOrigins: string[];
  accessTokenTtl: number;
  refreshTokenTtl: number;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  /** `iss` of every token: `PUBLIC_URL`, else a development constant. `aud`: `JWT_AUDIENCE`, else the issuer. */
  jwt: TokenIdentity;
  /** `D1_MAX_BOUND_PARAMETERS` (test runs only): refuse statements binding more, as production D1 does. */
  d1MaxBoundParameters: number | undefined;
  /** `AUDIT_RETENTION_DAYS`: how long `auth_events` are kept. */
  auditRetentionDays: number;
  /** `SESSION_RETENTION_DAYS`: how long sessions and refresh tokens are kept after they expire or are revoked. */
  sessionRetentionDays: number;
}

type RawEnv = Partial<Record<string, unknown>>;

const cache = new WeakMap<object, Config>();

function str(env: RawEnv, key: string): string | undefined {
  const v = env[key];
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

function int(env: RawEnv, key: string, fallback: number, min = 1): number {
  const v = str(env, key);
  if (v === undefined) return fallback;
  const n = Number(v);
  return Number.isInteger(n) && n >= min ? n : fallback;
}

export function configOf(env: object): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  const e = env as RawEnv;
  const publicUrl = str(e, "PUBLIC_URL")?.replace(/\/+$/, "");
  const origins = (str(e, "ALLOWED_ORIGINS") ?? publicUrl ?? "")
    .split(",")
    .map((o) => o.trim().replace(/\/+$/, ""))
    .filter(Boolean);
  const cfg: Config = {
    allowedOrigins: origins,
    accessTokenTtl: int(e, "ACCESS_TOKEN_TTL_SECONDS", 900),
    refreshTokenTtl: int(e, "REFRESH_TOKEN_TTL_SECONDS", 604800),
    adminEmail: str(e, "ADMIN_EMAIL")?.toLowerCase(),
    adminPassword: str(e, "ADMIN_PASSWORD"),
    jwt: {
      issuer: publicUrl ?? DEFAULT_JWT_ISSUER,
      audience: str(e, "JWT_AUDIENCE") ?? publicUrl ?? DEFAULT_JWT_ISSUER,
    },
    d1MaxBoundParameters:
      str(e, "D1_MAX_BOUND_PARAMETERS") === undefined ? undefined : int(e, "D1_MAX_BOUND_PARAMETERS", 100),
    auditRetentionDays: int(e, "AUDIT_RETENTION_DAYS", 400),
    sessionRetentionDays: int(e, "SESSION_RETENTION_DAYS", 30, 0),
  };
  cache.set(env, cfg);
  return cfg;
}
