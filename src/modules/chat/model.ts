import type { AuthContext } from "../../lib/access";
import type { Deps, TextModel } from "../../middleware/deps";
import { figuresOfPeriod } from "./figures";
import { isRefusal, maySeeFigures, ownProgress, ownRegistrations, type Retrieved, trainingCatalog } from "./retrieval";

/** How long a model may take before the built-in answer is used instead. */
export const MODEL_TIMEOUT_MS = 15_000;

const SYSTEM_PROMPT = [
  "You answer questions about a training platform, in English, briefly.",
  "Use only the data given with the question; if it does not answer the question, say so and do not guess.",
  "The data is what the person asking may see: never speculate about anything else.",
  "Do not list sources: they are appended to your answer.",
].join(" ");

/**
 * What the model is given when the built-in answerer found no intent: everything the caller may see
 * that a question can be about (the catalog, its own registrations and progress, and the figures of
 * the last 7 days for holders of `reports:read`).
 */
export async function everythingVisible(deps: Deps, auth: AuthContext): Promise<Retrieved<unknown>[]> {
  const [catalog, registrations, progress, figures] = await Promise.all([
    trainingCatalog(deps, auth),
    ownRegistrations(deps, auth),
    ownProgress(deps, auth),
    maySeeFigures(auth) ? figuresOfPeriod(deps, auth, 7) : undefined,
  ]);
  const all: Retrieved<unknown>[] = [registrations, progress];
  if (!isRefusal(catalog)) all.unshift(catalog);
  if (figures && !isRefusal(figures)) all.push(figures);
  return all;
}

/**
 * The model's answer to `question` from `retrieved`, or undefined when it fails, times out or answers
 * nothing usable (the caller then falls back to the built-in answer). Failures are logged.
 */
export async function modelAnswer(
  model: TextModel,
  name: string,
  question: string,
  retrieved: Retrieved<unknown>[],
  builtIn: string,
): Promise<string | undefined> {
  const data = retrieved.map((r) => ({ source: r.source, data: r.data }));
  const content = `Question: ${question}\n\nData (JSON): ${JSON.stringify(data)}\n\nA draft answer computed from the same data: ${builtIn}`;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const result = await Promise.race([
      model.run(name, {
        messages: [
          { role: "system", content: SYSTEM_PROMPT },
          { role: "user", content },
        ],
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${MODEL_TIMEOUT_MS} ms`)), MODEL_TIMEOUT_MS);
      }),
    ]);
    const text = (result as { response?: unknown } | null)?.response;
    if (typeof text === "string" && text.trim() !== "") return text.trim();
    throw new Error("the model returned no text");
  } catch (err) {
    console.error(
      JSON.stringify({ level: "error", msg: "chat model failed; built-in answer used", error: String(err) }),
    );
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
