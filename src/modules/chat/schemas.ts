import { z } from "@hono/zod-openapi";
import { pageFields, paginationQuery } from "../../lib/pagination";

/** Longest question accepted, in characters (REST and WebSocket). */
export const MAX_QUESTION_CHARS = 2000;

export const SendBody = z
  .object({
    message: z
      .string()
      .trim()
      .min(1, "message must not be empty")
      .max(MAX_QUESTION_CHARS, `message must be at most ${MAX_QUESTION_CHARS} characters`)
      .openapi({ example: "What are the registration trends this month?" }),
    conversation_id: z
      .number()
      .int()
      .positive()
      .optional()
      .openapi({ description: "Continue this conversation (else a new one is started)", example: 1 }),
  })
  .openapi("ChatSendBody");
export type SendInput = z.infer<typeof SendBody>;

const AnsweredBy = z.enum(["built-in", "model"]);

export const SendEnvelope = z
  .object({
    data: z.object({
      response: z.string().openapi({ description: "The answer; its last line names the data it used" }),
      conversation_id: z.number().int(),
      message_id: z.number().int().openapi({ description: "The stored answer's id" }),
      sources: z.array(z.string()).openapi({ description: "The data the answer used" }),
      answered_by: AnsweredBy,
    }),
  })
  .openapi("ChatSendResponse");
export type SendResult = z.infer<typeof SendEnvelope>["data"];

export const MessageSchema = z
  .object({
    id: z.number().int(),
    conversation_id: z.number().int(),
    role: z.enum(["user", "assistant"]),
    content: z.string(),
    sources: z.array(z.string()),
    answered_by: AnsweredBy.nullable(),
    created_at: z.string(),
  })
  .openapi("ChatMessage");
export type MessageView = z.infer<typeof MessageSchema>;

export const HistoryQuery = paginationQuery.extend({
  conversation_id: z.coerce.number().int().positive().openapi({ example: 1 }),
});

export const HistoryList = z
  .object({ conversation_id: z.number().int(), messages: z.array(MessageSchema), ...pageFields })
  .openapi("ChatHistory");

export const ConversationSchema = z
  .object({ id: z.number().int(), title: z.string(), created_at: z.string(), updated_at: z.string() })
  .openapi("ChatConversation");
export type ConversationView = z.infer<typeof ConversationSchema>;

export const ConversationList = z
  .object({ conversations: z.array(ConversationSchema), ...pageFields })
  .openapi("ChatConversationList");

export const ConversationsQuery = paginationQuery;
