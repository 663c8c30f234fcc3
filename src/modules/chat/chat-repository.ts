import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { findPage, pageResult, pageStatements } from "../../db/page";
import { chatConversations, chatMessages } from "../../db/schema";
import { type Statement, statement } from "../../db/statement";
import type { Page } from "../../lib/pagination";
import type { ConversationView, MessageView } from "./schemas";

const conversationColumns = {
  id: chatConversations.id,
  title: chatConversations.title,
  created_at: chatConversations.createdAt,
  updated_at: chatConversations.updatedAt,
};

const messageColumns = {
  id: chatMessages.id,
  conversation_id: chatMessages.conversationId,
  role: chatMessages.role,
  content: chatMessages.content,
  sources: chatMessages.sources,
  answered_by: chatMessages.answeredBy,
  created_at: chatMessages.createdAt,
};

/** A stored message: `sources` as its JSON text. */
export type MessageRow = Omit<MessageView, "sources"> & { sources: string };

const owned = (id: number, userId: number) => and(eq(chatConversations.id, id), eq(chatConversations.userId, userId));

/** Whether conversation `id` exists and belongs to `userId`. */
export async function isOwnConversation(db: Db, id: number, userId: number): Promise<boolean> {
  const rows = await db.select({ id: chatConversations.id }).from(chatConversations).where(owned(id, userId)).limit(1);
  return rows.length > 0;
}

/** A page of the user's conversations, most recently active first, and their total. */
export function listConversations(db: Db, userId: number, page: Page) {
  return findPage<ConversationView>(
    db,
    {
      from: chatConversations,
      columns: conversationColumns,
      where: eq(chatConversations.userId, userId),
      orderBy: sql`${chatConversations.updatedAt} DESC, ${chatConversations.id} DESC`,
    },
    page,
  );
}

/** Whether the conversation is the user's, and a page of its messages (oldest first), in one batch. */
export async function findHistory(
  db: Db,
  conversationId: number,
  userId: number,
  page: Page,
): Promise<{ exists: boolean; rows: MessageRow[]; total: number }> {
  const [found, rows, totals] = await db.batch([
    db.select({ id: chatConversations.id }).from(chatConversations).where(owned(conversationId, userId)).limit(1),
    ...pageStatements(
      db,
      {
        from: chatMessages,
        columns: messageColumns,
        where: eq(chatMessages.conversationId, conversationId),
        orderBy: chatMessages.id,
      },
      page,
    ),
  ]);
  return { exists: found.length > 0, ...pageResult<MessageRow>(rows, totals) };
}

/** What the statements of an exchange return: the stored row's id and its conversation. */
export interface StoredRow {
  id: number;
  conversation_id: number;
}

/** What one exchange stores: the question, the answer, and the data the answer used. */
export interface Exchange {
  userId: number;
  question: string;
  answer: string;
  sources: readonly string[];
  answeredBy: "built-in" | "model";
  at: string;
}

/**
 * Statements for one batch that store a question and its answer: in `conversationId` when the user
 * owns it (else they insert nothing), or in a new conversation titled by the question. A new
 * conversation is the user's newest (AUTOINCREMENT ids only grow), which is how the messages find
 * it inside the same transaction.
 */
export function exchangeStatements(
  d1: D1Database,
  conversationId: number | undefined,
  e: Exchange,
): readonly [Statement<StoredRow>, Statement<StoredRow>, Statement<StoredRow>] {
  const target =
    conversationId === undefined
      ? "id = (SELECT max(id) FROM chat_conversations WHERE user_id = ?1)"
      : "id = ?2 AND user_id = ?1";
  const message = (role: "user" | "assistant", content: string, sources: string, answeredBy: string | null) =>
    statement<StoredRow>(
      d1,
      `INSERT INTO chat_messages (conversation_id, role, content, sources, answered_by, created_at)
       SELECT id, ?3, ?4, ?5, ?6, ?7 FROM chat_conversations WHERE ${target}
       RETURNING id, conversation_id`,
      e.userId,
      conversationId ?? null,
      role,
      content,
      sources,
      answeredBy,
      e.at,
    );
  const conversation =
    conversationId === undefined
      ? statement<StoredRow>(
          d1,
          `INSERT INTO chat_conversations (user_id, title, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
           RETURNING id, id AS conversation_id`,
          e.userId,
          e.question.slice(0, 80),
          e.at,
        )
      : statement<StoredRow>(
          d1,
          `UPDATE chat_conversations SET updated_at = ?3 WHERE id = ?2 AND user_id = ?1
           RETURNING id, id AS conversation_id`,
          e.userId,
          conversationId,
          e.at,
        );
  return [
    conversation,
    message("user", e.question, "[]", null),
    message("assistant", e.answer, JSON.stringify(e.sources), e.answeredBy),
  ] as const;
}
