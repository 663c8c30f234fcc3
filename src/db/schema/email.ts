import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { timestamps } from "./columns";
import { users } from "./identity";

/**
 * Every outgoing email: written in the batch of the change that causes it, sent by the `emails` queue
 * consumer. `status` moves `queued` → `sent`, or → `failed` once the dead-letter queue has it.
 */
export const emails = sqliteTable(
  "emails",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** The queue message's reference (a UUID): known before the insert, so the message is sent right after the batch. */
    messageKey: text("message_key").notNull(),
    kind: text("kind").notNull(),
    toAddress: text("to_address").notNull(),
    userId: integer("user_id").references(() => users.id, { onDelete: "set null" }),
    subject: text("subject").notNull(),
    text: text("text").notNull(),
    html: text("html").notNull(),
    status: text("status", { enum: ["queued", "sent", "failed"] })
      .notNull()
      .default("queued"),
    attempts: integer("attempts").notNull().default(0),
    /**
     * Until when the consumer that claimed it is sending it: another message for the same email
     * (Queues delivers at least once; the relay may enqueue it again) waits instead of sending too.
     * Null when nobody is sending it.
     */
    leaseUntil: text("lease_until"),
    lastError: text("last_error"),
    /** The one-time token inside the body; removed from the body once a real transport has delivered it. */
    secret: text("secret"),
    /** Extra message headers as a JSON object (a report's `List-Unsubscribe`), or null. */
    headers: text("headers"),
    sentAt: text("sent_at"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("emails_message_key_unique").on(t.messageKey),
    index("emails_created_idx").on(t.createdAt),
    // The every-minute relay looks only at emails no consumer has touched yet: a few rows, not the table.
    index("emails_untouched_idx").on(t.id).where(sql`status = 'queued' AND attempts = 0`),
  ],
);

/**
 * One-time tokens that have been used, by the hash of the token: the primary key is what makes a
 * token work once (of N concurrent uses, one insert wins). The tokens themselves live in `TOKENS_KV`.
 */
export const tokenUses = sqliteTable("token_uses", {
  tokenHash: text("token_hash").primaryKey(),
  kind: text("kind").notNull(),
  userId: integer("user_id").references(() => users.id, { onDelete: "cascade" }),
  usedAt: text("used_at").notNull(),
});

/** Admin-managed integration keys (`X-Integration-Key`), stored as a SHA-256 hash. */
export const integrationKeys = sqliteTable(
  "integration_keys",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    /** The first characters of the key (`ik_` + 8), to recognise it in lists. */
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull(),
    createdBy: integer("created_by").references(() => users.id, { onDelete: "set null" }),
    lastUsedAt: text("last_used_at"),
    revokedAt: text("revoked_at"),
    createdAt: timestamps.createdAt,
  },
  (t) => [uniqueIndex("integration_keys_hash_unique").on(t.keyHash)],
);
