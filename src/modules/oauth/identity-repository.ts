import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { oauthIdentities, users } from "../../db/schema";
import { totpEnabledSql } from "../access";

/** The user an identity is linked to, if it is. */
export async function findLinkedUser(
  db: Db,
  provider: string,
  providerUserId: string,
): Promise<{ identityId: number; userId: number; isActive: boolean; email: string; totpEnabled: boolean } | undefined> {
  const rows = await db
    .select({
      identityId: oauthIdentities.id,
      userId: users.id,
      isActive: users.isActive,
      email: users.email,
      totpEnabled: totpEnabledSql(),
    })
    .from(oauthIdentities)
    .innerJoin(users, eq(users.id, oauthIdentities.userId))
    .where(and(eq(oauthIdentities.provider, provider), eq(oauthIdentities.providerUserId, providerUserId)))
    .limit(1);
  return rows[0];
}
