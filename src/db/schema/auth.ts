import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
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
    index("auth_events_event_created_idx").on(t.event, t.createdAt),
  ],
);

/**
 * Failed password checks, counted atomically per subject and source (see
 * `src/modules/auth/login-throttle.ts`): `kind` is `login` or `password_change`; `subject` is
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
