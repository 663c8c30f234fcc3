import { runBatch } from "../../db/statement";
import type { AuthContext } from "../../lib/access";
import { isoNow } from "../../lib/clock";
import type { Page } from "../../lib/pagination";
import type { Deps } from "../../middleware/deps";
import { answerBuiltIn, detectIntent } from "./answerer";
import { exchangeStatements, findHistory, isOwnConversation, listConversations } from "./chat-repository";
import { ChatErrors } from "./errors";
import { everythingVisible, modelAnswer } from "./model";
import type { MessageView, SendInput, SendResult } from "./schemas";

/** "Sources: a; b." or, when nothing was read, says so. */
export function sourcesLine(sources: readonly string[]): string {
  return sources.length === 0 ? "Sources: none (no platform data was needed)." : `Sources: ${sources.join("; ")}.`;
}

/**
 * Answers a question from the data the caller may see and stores both in the caller's conversation
 * (see the send route): the built-in answerer, or the model when one is bound, falling back to the
 * built-in answer when it fails.
 */
export async function sendMessage(deps: Deps, auth: AuthContext, input: SendInput): Promise<SendResult> {
  const conversationId = input.conversation_id;
  const intent = detectIntent(input.message, auth.username);
  const builtIn = await answerBuiltIn(deps, auth, intent);
  let text = builtIn.text;
  let retrieved = builtIn.retrieved;
  let answeredBy: "built-in" | "model" = "built-in";
  if (deps.ai) {
    // The model is paid per call: a conversation not the caller's is refused before it is asked
    // (without a model, the storing batch's owner check answers that, with no read of its own).
    if (conversationId !== undefined && !(await isOwnConversation(deps.db, conversationId, auth.userId))) {
      throw ChatErrors.CONVERSATION_NOT_FOUND(conversationId);
    }
    const grounding = intent.kind === "help" ? await everythingVisible(deps, auth) : retrieved;
    const phrased = await modelAnswer(deps.ai, deps.config.chatModel, input.message, grounding, builtIn.text);
    if (phrased !== undefined) {
      text = phrased;
      retrieved = grounding;
      answeredBy = "model";
    }
  }
  const sources = retrieved.map((r) => r.source);
  const response = `${text}\n\n${sourcesLine(sources)}`;
  const statements = exchangeStatements(deps.d1, conversationId, {
    userId: auth.userId,
    question: input.message,
    answer: response,
    sources,
    answeredBy,
    at: isoNow(deps.clock),
  });
  // The exchange is stored only in a conversation of the caller's (each statement checks the owner):
  // another user's, or an unknown one, stores nothing and is 404, the answer computed for it dropped.
  const [, , [answer]] = await runBatch(deps.d1, statements);
  if (!answer) throw ChatErrors.CONVERSATION_NOT_FOUND(conversationId ?? 0);
  return {
    response,
    conversation_id: answer.conversation_id,
    message_id: answer.id,
    sources,
    answered_by: answeredBy,
  };
}

/** A page of a conversation's messages, oldest first; another user's conversation is 404. */
export async function conversationHistory(
  deps: Deps,
  auth: AuthContext,
  conversationId: number,
  page: Page,
): Promise<{ rows: MessageView[]; total: number }> {
  const { exists, rows, total } = await findHistory(deps.db, conversationId, auth.userId, page);
  if (!exists) throw ChatErrors.CONVERSATION_NOT_FOUND(conversationId);
  return { rows: rows.map((r) => ({ ...r, sources: JSON.parse(r.sources) as string[] })), total };
}

/** A page of the caller's conversations, most recently active first. */
export function ownConversations(deps: Deps, auth: AuthContext, page: Page) {
  return listConversations(deps.db, auth.userId, page);
}
