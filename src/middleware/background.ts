import type { Context } from "hono";

/**
 * Lets `work` finish after the response when the runtime gives an execution context (`waitUntil`),
 * and waits for it otherwise (an app called directly, as some tests do).
 *
 * @example
 *   await afterResponse(c, touchSession())
 */
export async function afterResponse(c: Context, work: Promise<unknown> | undefined): Promise<void> {
  if (!work) return;
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    await work;
  }
}
