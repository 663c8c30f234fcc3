import type { Hook } from "@hono/zod-openapi";
import type { z } from "zod";
import { HttpErrors, type ValidationIssue } from "./errors";

const TARGET_LOC: Record<string, string> = {
  json: "body",
  form: "body",
  query: "query",
  param: "path",
  header: "header",
  cookie: "cookie",
};

/** Converts zod issues into FastAPI-style `{loc, msg, type}` entries. */
export function toValidationIssues(error: z.ZodError, target: string): ValidationIssue[] {
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
 * The `defaultHook` of every OpenAPIHono router: a failed validation becomes a 422 with code
 * `VALIDATION_ERROR`, rendered by the app's `onError`.
 */
// biome-ignore lint/suspicious/noExplicitAny: the hook is shared by routers of any env/path.
export const validationHook: Hook<any, any, any, any> = (result) => {
  if (!result.success) {
    throw HttpErrors.VALIDATION_ERROR(toValidationIssues(result.error, result.target));
  }
};
