import { z } from "@hono/zod-openapi";
import { pageFields } from "../../lib/pagination";

/** An outgoing email as `GET /admin/emails` lists it. */
export const EmailSchema = z
  .object({
    id: z.number().int(),
    kind: z.string().openapi({ example: "magic_link" }),
    to: z.string(),
    subject: z.string(),
    text: z.string(),
    html: z.string(),
    status: z.enum(["queued", "sent", "failed"]),
    attempts: z.number().int(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    sent_at: z.string().nullable(),
  })
  .openapi("Email");

export type EmailView = z.infer<typeof EmailSchema>;

export const EmailList = z.object({ emails: z.array(EmailSchema), ...pageFields }).openapi("EmailList");
