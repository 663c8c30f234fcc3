import { expect } from "vitest";
import { env } from "./helpers";

/** Test helpers of the emailed-link flows: what the record transport stored, and the link in it. */

export interface StoredEmail {
  id: number;
  kind: string;
  subject: string;
  text: string;
  html: string;
  status: string;
}

/** The emails stored for `to`, newest first. */
export async function emailsTo(to: string): Promise<StoredEmail[]> {
  const { results } = await env.DB.prepare(
    "SELECT id, kind, subject, text, html, status FROM emails WHERE to_address = ?1 ORDER BY id DESC",
  )
    .bind(to.toLowerCase())
    .all<StoredEmail>();
  return results;
}

/** The token in the link of the newest email to `to` (which must be of `kind`). */
export async function tokenFromEmail(to: string, kind: string): Promise<string> {
  const [email] = await emailsTo(to);
  expect(email?.kind).toBe(kind);
  const token = /[?&]token=([A-Za-z0-9_-]{43})/.exec(email?.text ?? "")?.[1];
  if (!token) throw new Error(`no token in the email to ${to}`);
  return token;
}

/** A form post as a browser sends it from this site's page. */
export function formPost(fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Origin: "https://api.example.test",
      "Sec-Fetch-Site": "same-origin",
      ...headers,
    },
    body: new URLSearchParams(fields).toString(),
    redirect: "manual",
  };
}
