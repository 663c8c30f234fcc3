import { eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { tokenUses } from "../../db/schema";
import { type Statement, statement } from "../../db/statement";

/** KV key of a token's record, by the token's hash. */
export const tokenKey = (hash: string) => `token:${hash}`;

/** Records the use of a token; its primary key fails a second use (of N concurrent ones, one wins). */
export function useTokenStatement(
  d1: D1Database,
  use: { hash: string; kind: string; userId: number | null; at: string },
): Statement {
  return statement(
    d1,
    "INSERT INTO token_uses (token_hash, kind, user_id, used_at) VALUES (?1, ?2, ?3, ?4)",
    use.hash,
    use.kind,
    use.userId,
    use.at,
  );
}

/** True when the token with this hash has been used. */
export async function tokenWasUsed(db: Db, hash: string): Promise<boolean> {
  const rows = await db
    .select({ h: tokenUses.tokenHash })
    .from(tokenUses)
    .where(eq(tokenUses.tokenHash, hash))
    .limit(1);
  return rows.length > 0;
}
