import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { timestamps } from "./columns";
import { users } from "./identity";

/**
 * A provider identity (Google, GitHub, an OpenID Connect issuer) linked to a user: the provider's own
 * user id is unique per provider; a user may have several identities.
 */
export const oauthIdentities = sqliteTable(
  "oauth_identities",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** `google`, `github` or `oidc`. */
    provider: text("provider").notNull(),
    /** The provider's stable id of the person (`sub` of the ID token, GitHub's numeric user id). */
    providerUserId: text("provider_user_id").notNull(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The email the provider gave when the identity was linked. */
    email: text("email"),
    createdAt: timestamps.createdAt,
    lastUsedAt: text("last_used_at"),
  },
  (t) => [
    uniqueIndex("oauth_identities_provider_user_unique").on(t.provider, t.providerUserId),
    index("oauth_identities_user_idx").on(t.userId),
  ],
);
