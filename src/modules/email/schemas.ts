import * as z from "zod/mini";
import { doc, named } from "../../lib/openapi";
import { pageFields } from "../../lib/pagination";

/** An outgoing email as `GET /admin/emails` lists it. */
export const EmailSchema = named(
  z.object({
    id: z.int(),
    kind: doc(z.string(), { example: "magic_link" }),
    to: z.string(),
    subject: z.string(),
    text: z.string(),
    html: z.string(),
    status: z.enum(["queued", "sent", "failed"]),
    attempts: z.int(),
    last_error: z.nullable(z.string()),
    created_at: z.string(),
    sent_at: z.nullable(z.string()),
  }),
  "Email",
);

export type EmailView = z.infer<typeof EmailSchema>;

export const EmailList = named(z.object({ emails: z.array(EmailSchema), ...pageFields }), "EmailList");
