import { asc, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { findPage } from "../../db/page";
import { webhookEndpoints } from "../../db/schema";
import { assignments, type Statement, statement } from "../../db/statement";
import type { Page } from "../../lib/pagination";

/** An endpoint as stored (events as JSON text, `active` as 0/1 from raw SQL). */
export interface EndpointRow {
  id: number;
  url: string;
  events: string;
  description: string | null;
  active: boolean | number;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
}

const RETURNING = "id, url, events, description, active, disabled_reason, created_at, updated_at";

const endpointColumns = {
  id: webhookEndpoints.id,
  url: webhookEndpoints.url,
  events: webhookEndpoints.events,
  description: webhookEndpoints.description,
  active: webhookEndpoints.active,
  disabled_reason: webhookEndpoints.disabledReason,
  created_at: webhookEndpoints.createdAt,
  updated_at: webhookEndpoints.updatedAt,
};

/** A page of endpoints, oldest first (never their secrets). */
export function listEndpoints(db: Db, page: Page) {
  return findPage<EndpointRow>(
    db,
    { from: webhookEndpoints, columns: endpointColumns, where: undefined, orderBy: asc(webhookEndpoints.id) },
    page,
  );
}

/** One endpoint (never its secrets), or undefined. */
export async function findEndpoint(db: Db, id: number): Promise<EndpointRow | undefined> {
  const rows = await db.select(endpointColumns).from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).limit(1);
  return rows[0];
}

/** What an endpoint is made of when it is saved. */
export interface EndpointValues {
  url: string;
  events: string[];
  description: string | null;
  active: boolean;
}

/** Stores a new endpoint with its sealed secret. */
export function insertEndpointStatement(
  d1: D1Database,
  v: EndpointValues,
  sealedSecret: string,
  createdBy: number,
  at: string,
): Statement<EndpointRow> {
  return statement(
    d1,
    `INSERT INTO webhook_endpoints (url, events, description, active, secret, created_by, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING ${RETURNING}`,
    v.url,
    JSON.stringify(v.events),
    v.description,
    v.active ? 1 : 0,
    sealedSecret,
    createdBy,
    at,
  );
}

/**
 * Changes the given fields; turning an endpoint on again clears why it was disabled and its
 * failure streak. No row when it doesn't exist.
 */
export function updateEndpointStatement(
  d1: D1Database,
  id: number,
  patch: Partial<EndpointValues>,
  at: string,
): Statement<EndpointRow> {
  const set = assignments(
    {
      url: patch.url,
      events: patch.events === undefined ? undefined : JSON.stringify(patch.events),
      description: patch.description,
      active: patch.active,
    },
    3,
  );
  const reactivate = patch.active === true ? ", disabled_reason = NULL, failing_since = NULL" : "";
  return statement(
    d1,
    `UPDATE webhook_endpoints SET ${set.sql}${reactivate}, updated_at = ?2 WHERE id = ?1 RETURNING ${RETURNING}`,
    id,
    at,
    ...set.params,
  );
}

/** Deletes an endpoint with its deliveries and attempts. */
export function deleteEndpointStatement(d1: D1Database, id: number): Statement<{ id: number }> {
  return statement(d1, "DELETE FROM webhook_endpoints WHERE id = ?1 RETURNING id", id);
}

/** Replaces the secret; the current one keeps signing until `previousUntil`. */
export function rotateSecretStatement(
  d1: D1Database,
  id: number,
  sealedSecret: string,
  previousUntil: string,
  at: string,
): Statement<EndpointRow> {
  return statement(
    d1,
    `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = ?3, secret = ?2, updated_at = ?4
     WHERE id = ?1 RETURNING ${RETURNING}`,
    id,
    sealedSecret,
    previousUntil,
    at,
  );
}
