import type { Context } from "hono";
import { dbOf } from "../../db/client";
import type { AppEnv } from "../../env";
import type { LearningDeps } from "./module-service";

/** The learning services' dependencies, built from the request's bindings. */
export function learningDeps(c: Context<AppEnv>): LearningDeps {
  return { d1: c.env.DB, db: dbOf(c.env.DB), now: () => new Date() };
}
