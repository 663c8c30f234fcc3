/**
 * The fake webhook receiver at `https://receiver.example.test`: `/ok/<tag>` answers 200, `/fail/<tag>`
 * 500 with a 5 KiB body, `/gone/<tag>` 410, `/redirect/<tag>` 302 to `/ok/<tag>`. Each records what it
 * received under its tag; tests read it back at `GET /__received/<tag>`.
 */
export const RECEIVER = "https://receiver.example.test";

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
}

const received = new Map<string, ReceivedWebhook[]>();

export async function webhookReceiver(request: Request): Promise<Response | undefined> {
  const url = new URL(request.url);
  if (url.origin !== RECEIVER) return undefined;
  const [, kind = "", tag = ""] = url.pathname.split("/");
  if (kind === "__received") return Response.json(received.get(tag) ?? []);
  const list = received.get(tag) ?? [];
  list.push({ path: url.pathname, headers: Object.fromEntries(request.headers), body: await request.text() });
  received.set(tag, list);
  switch (kind) {
    case "ok":
      return new Response("thanks");
    case "fail":
      return new Response("x".repeat(5000), { status: 500 });
    case "gone":
      return new Response("gone for good", { status: 410 });
    case "redirect":
      return new Response(null, { status: 302, headers: { location: `${RECEIVER}/ok/${tag}` } });
    default:
      return new Response("not found", { status: 404 });
  }
}
