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
  /** `RATE_LIMITS_ENABLED`: false turns every rate limit off. */
  rateLimitsEnabled: boolean;
  /** Requests allowed per window, by group (`RATE_LIMIT_<GROUP>_PER_MINUTE`, `RATE_LIMIT_DEFAULT_USER_PER_HOUR`). */
  rateLimits: Record<RateLimitGroup, { limit: number; windowSeconds: number }>;
  /** `PUBLIC_URL` without a trailing slash: the base of links in emails (else the request's origin). */
  publicUrl: string | undefined;
  /** `MAGIC_LINK_TTL_SECONDS`: lifetime of magic links and one-time login links. */
  magicLinkTtl: number;
  /** `ENVIRONMENT`: `production` (default), `development` or `test`. */
  environment: string;
  /** `EMAIL_TRANSPORT` (`record`, `cloudflare` or `http`) and what the chosen one needs. */
  email: {
    transport: EmailTransportName;
    from: string;
    httpUrl: string | undefined;
    apiKey: string | undefined;
  };
  /** `INTEGRATION_KEYS`: comma-separated keys accepted as `X-Integration-Key` besides the stored ones. */
  integrationKeys: string[];
  /** `iss` of every token: `PUBLIC_URL`, else a development constant. `aud`: `JWT_AUDIENCE`, else the issuer. */
  jwt: TokenIdentity;
  /** `D1_MAX_BOUND_PARAMETERS` (test runs only): refuse statements binding more, as production D1 does. */
  d1MaxBoundParameters: number | undefined;
  /** `AUDIT_RETENTION_DAYS`: how long `auth_events` are kept. */
  auditRetentionDays: number;
  /** `SESSION_RETENTION_DAYS`: how long sessions and refresh tokens are kept after they expire or are revoked. */
  sessionRetentionDays: number;
  /** `EVENT_RETENTION_DAYS`: how long dispatched webhook events are kept, with their deliveries and attempts. */
  eventRetentionDays: number;
  /** `CHAT_AI_MODEL`: the Workers AI model that phrases chat answers when the `AI` binding is present. */
  chatModel: string;
  /** Webhook delivery (contract, "Webhooks"). */
  webhooks: {
    /** `WEBHOOK_ALLOW_PRIVATE_TARGETS`: http and private addresses allowed (local development only). */
    allowPrivateTargets: boolean;
    /** `WEBHOOK_RETRY_SCHEDULE`: seconds before each retry, in order. */
    retrySchedule: number[];
    /** `WEBHOOK_DISABLE_AFTER_DAYS`: an endpoint failing this long is disabled. */
    disableAfterDays: number;
  };
  /** `MFA_ENCRYPTION_KEY` (secret, 32 bytes base64url): encrypts TOTP secrets at rest; unset, TOTP can't be set up. */
  mfaEncryptionKey: string | undefined;
  /** `D1_SESSIONS` (default on): requests use D1's Sessions API (read replicas, `x-d1-bookmark`); `off` turns it off. */
  d1Sessions: boolean;
  /** Sign-in providers whose client id and secret are set (`GOOGLE_*`, `GITHUB_*`, `OIDC_*`); the others are off. */
  oauth: OAuthProviders;
}

/** An OAuth client registered with a provider. */
export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

/** The configured sign-in providers; `oidc` is any OpenID Connect issuer, found by discovery. */
export interface OAuthProviders {
  google?: OAuthClient;
  github?: OAuthClient;
  oidc?: OAuthClient & { issuer: string };
}

/** The rate-limit groups of the contract ("Rate limits"). */
export type RateLimitGroup =
  | "auth"
  | "users"
  | "trainings"
  | "registrations"
  | "userCreate"
  | "defaultIp"
  | "defaultUserHourly"
  | "chat";

export const EMAIL_TRANSPORTS = ["record", "cloudflare", "http"] as const;
export type EmailTransportName = (typeof EMAIL_TRANSPORTS)[number];

type RawEnv = Partial<Record<string, unknown>>;

const cache = new WeakMap<object, Config>();

function str(env: RawEnv, key: string): string | undefined {
  const v = env[key];
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

function oauthClient(env: RawEnv, prefix: string): OAuthClient | undefined {
  const clientId = str(env, `${prefix}_CLIENT_ID`);
  const clientSecret = str(env, `${prefix}_CLIENT_SECRET`);
  return clientId && clientSecret ? { clientId, clientSecret } : undefined;
}

function oauthProviders(env: RawEnv): OAuthProviders {
  const out: OAuthProviders = {};
  const google = oauthClient(env, "GOOGLE");
  const github = oauthClient(env, "GITHUB");
  const oidc = oauthClient(env, "OIDC");
  const issuer = str(env, "OIDC_ISSUER")?.replace(/\/+$/, "");
  if (google) out.google = google;
  if (github) out.github = github;
  if (oidc && issuer) out.oidc = { ...oidc, issuer };
  return out;
}

function int(env: RawEnv, key: string, fallback: number, min = 1): number {
  const v = str(env, key);
  if (v === undefined) return fallback;
  const n = Number(v);
  return Number.isInteger(n) && n >= min ? n : fallback;
}

const perMinute = (env: RawEnv, group: string, fallback: number) => ({
  limit: int(env, `RATE_LIMIT_${group}_PER_MINUTE`, fallback),
  windowSeconds: 60,
});

/** The contract's default webhook retry delays: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000];

/** Comma-separated whole seconds (0 to 12 h, Queues' longest delay); anything malformed gives the default. */
function retrySchedule(raw: string | undefined): number[] {
  if (raw === undefined) return DEFAULT_WEBHOOK_RETRY_SCHEDULE;
  const delays = raw.split(",").map((d) => Number(d.trim()));
  const ok = delays.length > 0 && delays.every((d) => Number.isInteger(d) && d >= 0 && d <= 43200);
  return ok ? delays : DEFAULT_WEBHOOK_RETRY_SCHEDULE;
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
    rateLimitsEnabled: str(e, "RATE_LIMITS_ENABLED")?.toLowerCase() !== "false",
    rateLimits: {
      auth: perMinute(e, "AUTH", 5),
      users: perMinute(e, "USERS", 100),
      trainings: perMinute(e, "TRAININGS", 200),
      registrations: perMinute(e, "REGISTRATIONS", 100),
      userCreate: perMinute(e, "USER_CREATE", 5),
      defaultIp: perMinute(e, "DEFAULT_IP", 100),
      defaultUserHourly: { limit: int(e, "RATE_LIMIT_DEFAULT_USER_PER_HOUR", 1000), windowSeconds: 3600 },
      chat: perMinute(e, "CHAT", 20),
    },
    publicUrl,
    magicLinkTtl: int(e, "MAGIC_LINK_TTL_SECONDS", 900),
    environment: str(e, "ENVIRONMENT") ?? "production",
    email: {
      transport: EMAIL_TRANSPORTS.find((t) => t === str(e, "EMAIL_TRANSPORT")) ?? "record",
      from: str(e, "EMAIL_FROM") ?? "no-reply@example.com",
      httpUrl: str(e, "EMAIL_HTTP_URL"),
      apiKey: str(e, "EMAIL_API_KEY"),
    },
    integrationKeys: (str(e, "INTEGRATION_KEYS") ?? "")
      .split(",")
      .map((k) => k.trim())
      .filter((k) => k.length >= 16),
    jwt: {
      issuer: publicUrl ?? DEFAULT_JWT_ISSUER,
      audience: str(e, "JWT_AUDIENCE") ?? publicUrl ?? DEFAULT_JWT_ISSUER,
    },
    d1MaxBoundParameters:
      str(e, "D1_MAX_BOUND_PARAMETERS") === undefined ? undefined : int(e, "D1_MAX_BOUND_PARAMETERS", 100),
    auditRetentionDays: int(e, "AUDIT_RETENTION_DAYS", 400),
    sessionRetentionDays: int(e, "SESSION_RETENTION_DAYS", 30, 0),
    eventRetentionDays: int(e, "EVENT_RETENTION_DAYS", 90, 7),
    chatModel: str(e, "CHAT_AI_MODEL") ?? "@cf/meta/llama-3.1-8b-instruct",
    webhooks: {
      allowPrivateTargets: str(e, "WEBHOOK_ALLOW_PRIVATE_TARGETS")?.toLowerCase() === "true",
      retrySchedule: retrySchedule(str(e, "WEBHOOK_RETRY_SCHEDULE")),
      disableAfterDays: int(e, "WEBHOOK_DISABLE_AFTER_DAYS", 5),
    },
    mfaEncryptionKey: str(e, "MFA_ENCRYPTION_KEY"),
    d1Sessions: str(e, "D1_SESSIONS")?.toLowerCase() !== "off",
    oauth: oauthProviders(e),
  };
  cache.set(env, cfg);
  return cfg;
}
