import type { Context } from "hono";
import { type Store, storeOf } from "../../db/client";
import type { AppEnv } from "../../env";

/** The access-management services' dependencies: the store, and the pepper for new passwords. */
export function storeDeps(c: Context<AppEnv>): Store & { pepper: string } {
  return { ...storeOf(c.env.DB), pepper: c.env.PASSWORD_PEPPER };
}
