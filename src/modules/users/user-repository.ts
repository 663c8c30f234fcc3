import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { users } from "../../db/schema";
import { type UserViewRow, userViewColumns } from "./user-view";

/** One user's view row by id, or undefined. */
export async function findUserViewById(db: Db, id: number): Promise<UserViewRow | undefined> {
  const rows = await db.select(userViewColumns).from(users).where(eq(users.id, id)).limit(1);
  return rows[0] as UserViewRow | undefined;
}

/** The credentials row for a login by username or email (case-insensitive), or undefined. */
export async function findCredentials(db: Db, login: { username?: string | undefined; email?: string | undefined }) {
  const where = login.email
    ? sql`lower(${users.email}) = lower(${login.email})`
    : sql`lower(${users.username}) = lower(${login.username ?? ""})`;
  const rows = await db
    .select({ id: users.id, passwordHash: users.passwordHash, isActive: users.isActive, username: users.username })
    .from(users)
    .where(where)
    .limit(1);
  return rows[0];
}

/**
 * Which of username/email already exist (case-insensitive), to say which one a 409 is about.
 */
export async function findTaken(
  db: Db,
  username: string,
  email: string,
): Promise<{ username: boolean; email: boolean }> {
  const rows = await db
    .select({
      username: sql<number>`lower(${users.username}) = lower(${username})`,
      email: sql<number>`lower(${users.email}) = lower(${email})`,
    })
    .from(users)
    .where(sql`lower(${users.username}) = lower(${username}) OR lower(${users.email}) = lower(${email})`);
  return { username: rows.some((r) => Boolean(r.username)), email: rows.some((r) => Boolean(r.email)) };
}
