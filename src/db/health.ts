/** The cheapest query D1 can answer: whether the database is reachable at all. */
export function pingDatabase(d1: D1Database): Promise<unknown> {
  return d1.prepare("SELECT 1 AS ok").first();
}
