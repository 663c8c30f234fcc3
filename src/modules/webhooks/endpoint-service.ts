import { runOne, theRow } from "../../db/statement";
import type { AuthContext } from "../../lib/access";
import { isoAt, isoNow } from "../../lib/clock";
import { invalid } from "../../lib/errors";
import type { Page } from "../../lib/pagination";
import type { Deps } from "../../middleware/deps";
import {
  deleteEndpointStatement,
  type EndpointRow,
  type EndpointValues,
  findEndpoint,
  insertEndpointStatement,
  listEndpoints,
  rotateSecretStatement,
  updateEndpointStatement,
} from "./endpoint-repository";
import { WebhookErrors } from "./errors";
import type { CreateWebhookInput, UpdateWebhookInput, WebhookView } from "./schemas";
import { newSigningSecret, sealSecret } from "./secrets";
import { refusedTarget } from "./target-guard";

/** How long the previous secret keeps signing after a rotation. */
const PREVIOUS_SECRET_SECONDS = 24 * 60 * 60;

function endpointView(row: EndpointRow): WebhookView {
  return { ...row, events: JSON.parse(row.events) as string[], active: Boolean(row.active) };
}

/** 422 on `body.url` when the SSRF guard refuses the URL (see the create route). */
function assertTarget(deps: Deps, url: string | undefined): void {
  if (url === undefined) return;
  const reason = refusedTarget(url, deps.config.webhooks.allowPrivateTargets);
  if (reason) throw invalid(["body", "url"], `Webhook URL refused: ${reason}`);
}

/** `POST /webhooks`: a new endpoint and its secret, shown this once. */
export async function createEndpoint(
  deps: Deps,
  auth: AuthContext,
  input: CreateWebhookInput,
): Promise<{ webhook: WebhookView; secret: string }> {
  assertTarget(deps, input.url);
  const secret = newSigningSecret();
  const values: EndpointValues = {
    url: input.url,
    events: input.events,
    description: input.description ?? null,
    active: input.active,
  };
  const rows = await runOne(
    deps.d1,
    insertEndpointStatement(deps.d1, values, await sealSecret(deps.pepper, secret), auth.userId, isoNow(deps.clock)),
  );
  return { webhook: endpointView(theRow(rows, "webhook insert")), secret };
}

export async function listEndpointPage(deps: Deps, page: Page) {
  const { rows, total } = await listEndpoints(deps.db, page);
  return { rows: rows.map(endpointView), total };
}

export async function getEndpoint(deps: Deps, id: number): Promise<WebhookView> {
  const row = await findEndpoint(deps.db, id);
  if (!row) throw WebhookErrors.WEBHOOK_NOT_FOUND(id);
  return endpointView(row);
}

/** `PUT`/`PATCH /webhooks/{id}`. */
export async function updateEndpoint(deps: Deps, id: number, input: UpdateWebhookInput): Promise<WebhookView> {
  assertTarget(deps, input.url);
  const [row] = await runOne(deps.d1, updateEndpointStatement(deps.d1, id, input, isoNow(deps.clock)));
  if (!row) throw WebhookErrors.WEBHOOK_NOT_FOUND(id);
  return endpointView(row);
}

export async function deleteEndpoint(deps: Deps, id: number): Promise<void> {
  const [row] = await runOne(deps.d1, deleteEndpointStatement(deps.d1, id));
  if (!row) throw WebhookErrors.WEBHOOK_NOT_FOUND(id);
}

/** `POST /webhooks/{id}/rotate-secret`: a new secret, shown this once; the old one signs for 24 more hours. */
export async function rotateSecret(deps: Deps, id: number): Promise<{ webhook: WebhookView; secret: string }> {
  const secret = newSigningSecret();
  const now = deps.clock.now();
  const [row] = await runOne(
    deps.d1,
    rotateSecretStatement(
      deps.d1,
      id,
      await sealSecret(deps.pepper, secret),
      isoAt(now + PREVIOUS_SECRET_SECONDS * 1000),
      isoAt(now),
    ),
  );
  if (!row) throw WebhookErrors.WEBHOOK_NOT_FOUND(id);
  return { webhook: endpointView(row), secret };
}
