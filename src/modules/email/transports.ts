import type { Config } from "../../lib/config";

/** A message as a transport sends it. */
export interface Envelope {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Extra headers (a report's `List-Unsubscribe`); none for most emails. */
  headers?: Record<string, string> | undefined;
}

/** How long the HTTP provider may take before the attempt counts as failed. */
export const HTTP_TIMEOUT_MS = 10_000;

/** A failed attempt, with a reason that is safe to store (a status, never the message or a key). */
export class TransportError extends Error {
  override name = "TransportError";
}

/** Sends one message or throws `TransportError`. */
export type Transport = (message: Envelope) => Promise<void>;

/** `record`: the stored row is the delivery (listed at `GET /admin/emails`); nothing leaves the Worker. */
const recordTransport: Transport = async () => {};

/** `cloudflare`: the `send_email` binding (Cloudflare Email Service / Email Routing). */
function cloudflareTransport(binding: SendEmail): Transport {
  return async (m) => {
    try {
      await binding.send({
        from: m.from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        html: m.html,
        ...(m.headers ? { headers: m.headers } : {}),
      });
    } catch (err) {
      throw new TransportError(
        `send_email refused the message: ${String((err as Error)?.message ?? err).slice(0, 200)}`,
      );
    }
  };
}

/**
 * `http`: a Resend/Postmark-style API: `POST EMAIL_HTTP_URL` with `Authorization: Bearer EMAIL_API_KEY`
 * and the JSON `{from, to, subject, text, html}` (and `headers`, an object, when the email has any, as
 * Resend takes them). Anything but a 2xx within `HTTP_TIMEOUT_MS` fails.
 */
function httpTransport(url: string | undefined, apiKey: string | undefined): Transport {
  return async (m) => {
    if (!url || !apiKey)
      throw new TransportError("EMAIL_HTTP_URL and EMAIL_API_KEY must be set for EMAIL_TRANSPORT=http");
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({
          from: m.from,
          to: [m.to],
          subject: m.subject,
          text: m.text,
          html: m.html,
          ...(m.headers ? { headers: m.headers } : {}),
        }),
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      });
    } catch (err) {
      const timedOut = (err as Error)?.name === "TimeoutError";
      throw new TransportError(
        timedOut ? `provider did not answer within ${HTTP_TIMEOUT_MS} ms` : "provider unreachable",
      );
    }
    if (!res.ok) {
      const detail = (await res.text().catch(() => "")).slice(0, 200);
      throw new TransportError(`provider answered ${res.status}${detail ? `: ${detail}` : ""}`);
    }
    await res.body?.cancel();
  };
}

/** The transport `EMAIL_TRANSPORT` names. */
export function transportOf(config: Config, sendEmail: SendEmail): Transport {
  switch (config.email.transport) {
    case "cloudflare":
      return cloudflareTransport(sendEmail);
    case "http":
      return httpTransport(config.email.httpUrl, config.email.apiKey);
    default:
      return recordTransport;
  }
}
