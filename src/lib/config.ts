/**
 * Typed configuration read from the Worker's vars and secrets, with the contract's defaults.
 * Parsed once per `env` object.
 *
 * @example
 *   const cfg = configOf(c.env); cfg.accessTokenTtl // 900
 */
export interface Config {
  publicUrl: string | undefined;
  allowedOrigins: string[];
  accessTokenTtl: number;
  refreshTokenTtl: number;
  magicLinkTtl: number;
  emailTransport: string;
  rateLimitsEnabled: boolean;
  rateLimits: {
    auth: number;
    users: number;
    trainings: number;
    registrations: number;
    userCreate: number;
    defaultIp: number;
    defaultUserPerHour: number;
  };
  webhookAllowPrivateTargets: boolean;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  environment: string;
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

function bool(env: RawEnv, key: string, fallback: boolean): boolean {
  const v = str(env, key)?.toLowerCase();
  if (v === undefined) return fallback;
  return v === "true" || v === "1" || v === "yes";
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
    publicUrl,
    allowedOrigins: origins,
    accessTokenTtl: int(e, "ACCESS_TOKEN_TTL_SECONDS", 900),
    refreshTokenTtl: int(e, "REFRESH_TOKEN_TTL_SECONDS", 604800),
    magicLinkTtl: int(e, "MAGIC_LINK_TTL_SECONDS", 900),
    emailTransport: str(e, "EMAIL_TRANSPORT") ?? "record",
    rateLimitsEnabled: bool(e, "RATE_LIMITS_ENABLED", true),
    rateLimits: {
      auth: int(e, "RATE_LIMIT_AUTH_PER_MINUTE", 5),
      users: int(e, "RATE_LIMIT_USERS_PER_MINUTE", 100),
      trainings: int(e, "RATE_LIMIT_TRAININGS_PER_MINUTE", 200),
      registrations: int(e, "RATE_LIMIT_REGISTRATIONS_PER_MINUTE", 100),
      userCreate: int(e, "RATE_LIMIT_USER_CREATE_PER_MINUTE", 5),
      defaultIp: int(e, "RATE_LIMIT_DEFAULT_IP_PER_MINUTE", 100),
      defaultUserPerHour: int(e, "RATE_LIMIT_DEFAULT_USER_PER_HOUR", 1000),
    },
    webhookAllowPrivateTargets: bool(e, "WEBHOOK_ALLOW_PRIVATE_TARGETS", false),
    adminEmail: str(e, "ADMIN_EMAIL")?.toLowerCase(),
    adminPassword: str(e, "ADMIN_PASSWORD"),
    environment: str(e, "ENVIRONMENT") ?? "production",
  };
  cache.set(env, cfg);
  return cfg;
}
