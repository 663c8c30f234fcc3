import type { MiddlewareHandler } from "hono";
import { runBatch } from "../../db/statement";
import type { AppEnv } from "../../env";
import { isoNow } from "../../lib/clock";
import { hashPassword, passwordProblem } from "../../lib/password";
import type { Deps } from "../../middleware/deps";
import { insertFirstAdminStatements, superuserExists } from "./users/user-repository";

let done: Promise<void> | undefined;
/** Set once `done` has settled successfully: later requests pass without waiting on it. */
let ready = false;

/**
 * Creates the first administrator from `ADMIN_EMAIL`/`ADMIN_PASSWORD` when no `ADMIN` exists.
 * Runs once per isolate before the first request is handled (one cheap read when an admin exists);
 * concurrent first requests in several isolates are safe (see `insertFirstAdminStatements`).
 */
export function bootstrapAdmin(): MiddlewareHandler<AppEnv> {
  return function bootstrapAdminMiddleware(c, next) {
    if (ready) return next();
    return waitForAdmin(c.get("deps")).then(() => next());
  };
}

/** The isolate's admin check, started by the first request and awaited by those that come before it ends. */
function waitForAdmin(deps: Deps): Promise<void> {
  if (!done) {
    done = ensureAdmin(deps).then(
      () => {
        ready = true;
      },
      (err: unknown) => {
        done = undefined;
        console.error(JSON.stringify({ level: "error", msg: "admin bootstrap failed", error: String(err) }));
      },
    );
  }
  return done;
}

/** Creates the first administrator if none exists (see `bootstrapAdmin`); what it found or did. */
export async function ensureAdmin(
  deps: Deps,
): Promise<"exists" | "created" | "skipped" | "email_taken" | "weak_password"> {
  const { adminEmail, adminPassword } = deps.config;
  if (!adminEmail || !adminPassword) return "skipped";
  if (await superuserExists(deps.db)) return "exists";
  // The most powerful account gets the same password policy as everyone (length, common list, own email).
  // Without the common-password list this throws (503): no admin is created, and a later request retries.
  const problem = await passwordProblem(deps.assets, adminPassword, adminEmail);
  if (problem) {
    console.error(JSON.stringify({ level: "error", msg: "ADMIN_PASSWORD refused; no admin created", reason: problem }));
    return "weak_password";
  }
  const passwordHash = await hashPassword(adminPassword, deps.pepper);
  // Not guessable from ADMIN_EMAIL: the admin signs in by email; its username only names it.
  const suffix = [...crypto.getRandomValues(new Uint8Array(5))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const username = `admin-${suffix}`;
  const [, granted] = await runBatch(
    deps.d1,
    insertFirstAdminStatements(deps.d1, { username, email: adminEmail, passwordHash, at: isoNow(deps.clock) }),
  );
  if (granted.length) return "created";
  if (await superuserExists(deps.db)) return "exists";
  // An existing non-admin account already uses ADMIN_EMAIL: it is never promoted silently.
  console.warn(JSON.stringify({ level: "warn", msg: "ADMIN_EMAIL belongs to an existing user; no admin created" }));
  return "email_taken";
}
