import type { Hook } from "@hono/zod-validator";
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import { HttpErrors, type ValidationIssue } from "./errors";

// zod/mini leaves its messages to a locale (zod's full build loads English itself): the 422s' `msg`.
z.config(en());

const TARGET_LOC: Record<string, string> = {
  json: "body",
  form: "body",
  query: "query",
  param: "path",
  header: "header",
  cookie: "cookie",
};

/** Converts zod issues into FastAPI-style `{loc, msg, type}` entries. */
export function toValidationIssues(error: z.core.$ZodError, target: string): ValidationIssue[] {
  const root = TARGET_LOC[target] ?? target;
  return error.issues.flatMap((issue): ValidationIssue[] => {
    const path = [root, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
    // An unknown field is reported at its own location, one entry per field.
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ loc: [...path, key], msg: "Unknown field", type: issue.code }));
    }
    return [{ loc: path, msg: issue.message, type: issue.code }];
  });
}

/**
 * The hook of every request validator (`src/middleware/route.ts`): a failed validation becomes a 422
 * with code `VALIDATION_ERROR`, rendered by the app's `onError`. (The schemas are zod 4's: the hook's
 * type also allows zod 3's errors.)
 */
// biome-ignore lint/suspicious/noExplicitAny: the hook is shared by routers of any env/path.
export const validationHook: Hook<any, any, any, any> = (result) => {
  if (!result.success) {
    throw HttpErrors.VALIDATION_ERROR(toValidationIssues(result.error as z.core.$ZodError, result.target));
  }
};
