import { pingDatabase } from "../../db/health";

type State = "healthy" | "unhealthy";

/** Time allowed to each dependency before it counts as down. */
export const HEALTH_TIMEOUT_MS = 2000;

/** Probes D1 and KV in parallel, each bounded by a timeout; never throws. */
export async function checkHealth(
  db: D1Database,
  kv: KVNamespace,
): Promise<{ status: State; database: State; kv: State }> {
  const [database, kvState] = await Promise.all([probe(() => pingDatabase(db)), probe(() => kv.get("health:probe"))]);
  return { status: database === "healthy" && kvState === "healthy" ? "healthy" : "unhealthy", database, kv: kvState };
}

async function probe(fn: () => Promise<unknown>): Promise<State> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("timeout")), HEALTH_TIMEOUT_MS);
      }),
    ]);
    return "healthy";
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "health probe failed", error: String(err) }));
    return "unhealthy";
  } finally {
    if (timer) clearTimeout(timer);
  }
}
