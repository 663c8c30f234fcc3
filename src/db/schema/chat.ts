import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { NOW_ISO, timestamps } from "./columns";
import { users } from "./identity";

/** A chat conversation: seen only by its owner. */
export const chatConversations = sqliteTable(
  "chat_conversations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The start of its first question. */
    title: text("title").notNull(),
    ...timestamps,
  },
  (t) => [index("chat_conversations_user_idx").on(t.userId, t.updatedAt)],
);

/** A question (`role` user) or an answer (`role` assistant) of a conversation. */
export const chatMessages = sqliteTable(
  "chat_messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    conversationId: integer("conversation_id")
      .notNull()
      .references(() => chatConversations.id, { onDelete: "cascade" }),
    role: text("role", { enum: ["user", "assistant"] }).notNull(),
    content: text("content").notNull(),
    /** JSON array of the data an answer used (`[]` for a question). */
    sources: text("sources").notNull().default("[]"),
    /** Who phrased an answer: `built-in` or `model` (null for a question). */
    answeredBy: text("answered_by", { enum: ["built-in", "model"] }),
    createdAt: text("created_at").notNull().default(NOW_ISO),
  },
  (t) => [index("chat_messages_conversation_idx").on(t.conversationId, t.id)],
);
