import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { timestamps } from "./columns";
import { users } from "./identity";

/**
 * A sign-in session: one refresh-token family. Revoking it ends every refresh token of the family
 * and every access token that carries its id (`sid`).
 */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamps.createdAt,
    expiresAt: text("expires_at").notNull(),
    revokedAt: text("revoked_at"),
    revokedReason: text("revoked_reason"),
    userAgent: text("user_agent"),
    ip: text("ip"),
    /** Last request made with the session's tokens, updated at most once a minute. */
    lastUsedAt: text("last_used_at"),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

/** One refresh token of a session, by its `jti`. A token is used once: `used_at` is set when it rotates. */
export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    createdAt: timestamps.createdAt,
    expiresAt: text("expires_at").notNull(),
    usedAt: text("used_at"),
    replacedBy: text("replaced_by"),
  },
  (t) => [index("refresh_tokens_session_idx").on(t.sessionId)],
);

/** Audit trail of security events: sign-ins, failures, refreshes, logouts, password changes. */
export const authEvents = sqliteTable(
  "auth_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id").references(() => users.id, { onDelete: "set null" }),
    event: text("event").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    detail: text("detail"),
    createdAt: timestamps.createdAt,
  },
  (t) => [
    index("auth_events_user_idx").on(t.userId, t.createdAt),
    // Reports count sign-ins of a period (`src/modules/reports`).
    index("auth_events_event_created_idx").on(t.event, t.createdAt, t.userId),
  ],
);

/**
 * Failed password checks, counted atomically per subject and source (see
 * `src/modules/auth/login-throttle.ts`): `kind` is `login`, `password_change` or `mfa` (TOTP and recovery codes); `subject` is
 * `user:<id>` or, for names nobody has, `unknown:<bucket>` (a keyed hash of the name, reduced to a
 * fixed number of buckets, never the name); `source` is the client network (IPv4 address or IPv6
 * /64, empty when unknown) or `*` for the row that counts every source of the subject. Times are
 * epoch milliseconds from the app's clock. A row is dead once `locked_until_ms` and the window that
 * began at `window_started_ms` have passed.
 */
export const loginAttempts = sqliteTable(
  "login_attempts",
  {
    kind: text("kind").notNull(),
    subject: text("subject").notNull(),
    source: text("source").notNull(),
    failures: integer("failures").notNull(),
    windowStartedMs: integer("window_started_ms").notNull(),
    lockedUntilMs: integer("locked_until_ms").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.kind, t.subject, t.source] }),
    index("login_attempts_window_idx").on(t.windowStartedMs),
  ],
);

/**
 * A user's TOTP second factor. `secret` is the seed sealed with AES-GCM under `MFA_ENCRYPTION_KEY`
 * (see `src/lib/secret-box.ts`), never in clear. `enabled_at` is null while set up but not yet
 * confirmed with a code; `last_step` is the time step of the last code accepted, so a code (or an
 * older one) is never accepted twice.
 */
export const userTotp = sqliteTable("user_totp", {
  userId: integer("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  secret: text("secret").notNull(),
  enabledAt: text("enabled_at"),
  lastStep: integer("last_step").notNull().default(0),
  createdAt: timestamps.createdAt,
});

/** Single-use recovery codes of a user's TOTP factor, stored as keyed hashes; `used_at` set on use. */
export const mfaRecoveryCodes = sqliteTable(
  "mfa_recovery_codes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    usedAt: text("used_at"),
    createdAt: timestamps.createdAt,
  },
  (t) => [uniqueIndex("mfa_recovery_codes_hash_idx").on(t.userId, t.codeHash)],
);
