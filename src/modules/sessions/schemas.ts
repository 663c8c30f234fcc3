import * as z from "zod/mini";
import { doc, named } from "../../lib/openapi";
import { pageFields, paginationQuery } from "../../lib/pagination";

/** An open session as its user (or an administrator) sees it. */
export const SessionSchema = named(
  z.object({
    id: doc(z.string(), { example: "7d1f0a52-3c1e-4a55-9a2b-2f1f4f6f7a10" }),
    created_at: z.string(),
    last_used_at: doc(z.nullable(z.string()), { description: "Updated at most once a minute" }),
    ip: z.nullable(z.string()),
    user_agent: z.nullable(z.string()),
    expires_at: z.string(),
    current: doc(z.boolean(), { description: "The session this request was made with" }),
  }),
  "Session",
);

export type SessionView = z.infer<typeof SessionSchema>;

/** `{sessions, total, skip, limit}`. */
export const SessionList = named(z.object({ sessions: z.array(SessionSchema), ...pageFields }), "SessionList");

/** `{ended, message}`: how many sessions a bulk end revoked. */
export const EndedSessions = named(z.object({ ended: z.int(), message: z.string() }), "EndedSessions");

/** Query of the session lists. */
export const SessionListQuery = paginationQuery;

/** Path parameter `{session_id}`. */
export const SessionIdParam = z.object({
  session_id: doc(z.uuid(), { example: "7d1f0a52-3c1e-4a55-9a2b-2f1f4f6f7a10" }),
});
