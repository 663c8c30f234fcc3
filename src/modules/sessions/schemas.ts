import { z } from "@hono/zod-openapi";
import { pageFields, paginationQuery } from "../../lib/pagination";

/** An open session as its user (or an administrator) sees it. */
export const SessionSchema = z
  .object({
    id: z.string().openapi({ example: "7d1f0a52-3c1e-4a55-9a2b-2f1f4f6f7a10" }),
    created_at: z.string(),
    last_used_at: z.string().nullable().openapi({ description: "Updated at most once a minute" }),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    expires_at: z.string(),
    current: z.boolean().openapi({ description: "The session this request was made with" }),
  })
  .openapi("Session");

export type SessionView = z.infer<typeof SessionSchema>;

/** `{sessions, total, skip, limit}`. */
export const SessionList = z.object({ sessions: z.array(SessionSchema), ...pageFields }).openapi("SessionList");

/** `{ended, message}`: how many sessions a bulk end revoked. */
export const EndedSessions = z.object({ ended: z.number().int(), message: z.string() }).openapi("EndedSessions");

/** Query of the session lists. */
export const SessionListQuery = paginationQuery;

/** Path parameter `{session_id}`. */
export const SessionIdParam = z.object({
  session_id: z
    .string()
    .uuid()
    .openapi({ param: { name: "session_id", in: "path" }, example: "7d1f0a52-3c1e-4a55-9a2b-2f1f4f6f7a10" }),
});
