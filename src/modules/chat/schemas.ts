import * as z from "zod/mini";
import { doc, named } from "../../lib/openapi";
import { pageFields, paginationQuery } from "../../lib/pagination";

/** Longest question accepted, in characters (REST and WebSocket). */
export const MAX_QUESTION_CHARS = 2000;

export const SendBody = named(
  z.object({
    message: doc(
      z
        .string()
        .check(
          z.trim(),
          z.minLength(1, "message must not be empty"),
          z.maxLength(MAX_QUESTION_CHARS, `message must be at most ${MAX_QUESTION_CHARS} characters`),
        ),
      { example: "What are the registration trends this month?" },
    ),
    conversation_id: doc(z.optional(z.number().check(z.int(), z.positive())), {
      description: "Continue this conversation (else a new one is started)",
      example: 1,
    }),
  }),
  "ChatSendBody",
);
export type SendInput = z.infer<typeof SendBody>;

const AnsweredBy = z.enum(["built-in", "model"]);

export const SendEnvelope = named(
  z.object({
    data: z.object({
      response: doc(z.string(), { description: "The answer; its last line names the data it used" }),
      conversation_id: z.int(),
      message_id: doc(z.int(), { description: "The stored answer's id" }),
      sources: doc(z.array(z.string()), { description: "The data the answer used" }),
      answered_by: AnsweredBy,
    }),
  }),
  "ChatSendResponse",
);
export type SendResult = z.infer<typeof SendEnvelope>["data"];

export const MessageSchema = named(
  z.object({
    id: z.int(),
    conversation_id: z.int(),
    role: z.enum(["user", "assistant"]),
    content: z.string(),
    sources: z.array(z.string()),
    answered_by: z.nullable(AnsweredBy),
    created_at: z.string(),
  }),
  "ChatMessage",
);
export type MessageView = z.infer<typeof MessageSchema>;

export const HistoryQuery = z.extend(paginationQuery, {
  conversation_id: doc(z.coerce.number().check(z.int(), z.positive()), { example: 1 }),
});

export const HistoryList = named(
  z.object({ conversation_id: z.int(), messages: z.array(MessageSchema), ...pageFields }),
  "ChatHistory",
);

export const ConversationSchema = named(
  z.object({ id: z.int(), title: z.string(), created_at: z.string(), updated_at: z.string() }),
  "ChatConversation",
);
export type ConversationView = z.infer<typeof ConversationSchema>;

export const ConversationList = named(
  z.object({ conversations: z.array(ConversationSchema), ...pageFields }),
  "ChatConversationList",
);

export const ConversationsQuery = paginationQuery;
