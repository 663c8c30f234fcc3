import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { configOf } from "../../lib/config";
import { hashPassword } from "../../lib/password";

let done: Promise<void> | undefined;

const ADMIN_EXISTS =
  "SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE r.name = 'ADMIN' AND r.organization_id IS NULL LIMIT 1";

/**
 * Creates the first administrator from `ADMIN_EMAIL`/`ADMIN_PASSWORD` when no `ADMIN` exists.
 * Runs once per isolate before the first request is handled (one cheap read when an admin exists);
 * concurrent first requests in several isolates are safe: the insert is conditional and the role
 * grant only targets the row this isolate inserted (matched by its unique password hash).
 */
export function bootstrapAdmin(): MiddlewareHandler<AppEnv> {
  return async function bootstrapAdminMiddleware(c, next) {
    if (!done) {
      done = ensureAdmin(c.env).then(
        () => undefined,
        (err: unknown) => {
          done = undefined;
          console.error(JSON.stringify({ level: "error", msg: "admin bootstrap failed", error: String(err) }));
        },
      );
    }
    await done;
    return next();
  };
}

/** Exported for tests and the scheduled handler. */
export async function ensureAdmin(env: Env): Promise<"exists" | "created" | "skipped" | "email_taken"> {
  const cfg = configOf(env);
  if (!cfg.adminEmail || !cfg.adminPassword) return "skipped";
  if (await env.DB.prepare(ADMIN_EXISTS).first()) return "exists";
  const hash = await hashPassword(cfg.adminPassword, env.PASSWORD_PEPPER);
  const username = (cfg.adminEmail.split("@")[0] ?? "admin").replace(/[^A-Za-z0-9._-]/g, "").slice(0, 50) || "admin";
  const [, granted] = await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO users (username, email, password_hash, email_verified, auth_provider)
       SELECT ?1, ?2, ?3, 1, 'local' WHERE NOT EXISTS (${ADMIN_EXISTS})
       ON CONFLICT DO NOTHING`,
    ).bind(username, cfg.adminEmail, hash),
    env.DB.prepare(
      `INSERT OR IGNORE INTO user_roles (user_id, role_id)
       SELECT u.id, r.id FROM users u JOIN roles r ON r.name = 'ADMIN' AND r.organization_id IS NULL
        WHERE u.password_hash = ?1 AND NOT EXISTS (${ADMIN_EXISTS})`,
    ).bind(hash),
  ]);
  if (granted?.meta.changes) return "created";
  if (await env.DB.prepare(ADMIN_EXISTS).first()) return "exists";
  // An existing non-admin account already uses ADMIN_EMAIL: it is never promoted silently.
  console.warn(JSON.stringify({ level: "warn", msg: "ADMIN_EMAIL belongs to an existing user; no admin created" }));
  return "email_taken";
}
