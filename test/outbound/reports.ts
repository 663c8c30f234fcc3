/**
 * A fake HTTP email provider for the report email tests, at `https://report-mail.test`: `POST /send`
 * keeps the last JSON message per recipient, `GET /__last?to=` answers it (404 when none).
 */
const lastByRecipient = new Map<string, unknown>();

export async function reportMailOutbound(request: Request): Promise<Response | undefined> {
  const url = new URL(request.url);
  if (url.origin !== "https://report-mail.test") return undefined;
  if (request.method === "POST" && url.pathname === "/send") {
    const message = (await request.json()) as { to: string[] };
    for (const to of message.to) lastByRecipient.set(to, message);
    return Response.json({ id: crypto.randomUUID() });
  }
  if (url.pathname === "/__last") {
    const message = lastByRecipient.get(url.searchParams.get("to") ?? "");
    return message ? Response.json(message) : new Response("none", { status: 404 });
  }
  return new Response("not found", { status: 404 });
}
