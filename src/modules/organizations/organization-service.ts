import type { Store } from "../../db/client";
import { conflict, forbidden, isUniqueViolation, notFound } from "../../lib/errors";
import { listOf, type Page } from "../../lib/pagination";
import { type AuthContext, canInOrg } from "../auth/auth-context";
import { assertAnyScope, canSeeOrganization, fieldsNotAllowed, inScope, scopeOf } from "./org-scope";
import {
  addAdminsToNewOrganizationStatement,
  deleteEmptyOrganizationStatement,
  existingUserIds,
  findOrganization,
  insertOrganizationStatement,
  listOrganizations as listOrganizationRows,
  type OrganizationRow,
  organizationUsage,
  setAdminsStatements,
  updateOrganizationStatement,
} from "./organization-repository";
import type { OrganizationView } from "./schemas";

/** The API's representation of an organization. */
export function toOrganizationView(row: OrganizationRow): OrganizationView {
  const adminIds = (JSON.parse(row.adminIds || "[]") as (number | null)[]).filter((v): v is number => v !== null);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    domain: row.domain,
    active: row.active,
    admin_ids: adminIds.sort((a, b) => a - b),
    member_count: row.memberCount,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

const nameTaken = (name: string) => conflict(`Organization '${name}' already exists`, "ORGANIZATION_NAME_TAKEN");

/** 404 USER_NOT_FOUND for the first of `ids` that is not a user. */
async function assertUsersExist(deps: Store, ids: readonly number[]): Promise<void> {
  const existing = await existingUserIds(deps.db, ids);
  const missing = ids.find((id) => !existing.has(id));
  if (missing !== undefined) throw notFound("User", missing);
}

/** An organization the caller may see (`organizations:read` or membership), else 404. */
export async function visibleOrganization(deps: Store, auth: AuthContext, id: number): Promise<OrganizationRow> {
  const row = canSeeOrganization(auth, id) ? await findOrganization(deps.db, id) : undefined;
  if (!row) throw notFound("Organization", id);
  return row;
}

/** A page of organizations: all with `organizations:read`, otherwise the caller's own. */
export async function listOrganizations(
  deps: Store,
  auth: AuthContext,
  filter: { search?: string | undefined; active?: boolean | undefined },
  page: Page,
) {
  const scope = scopeOf(auth, "organizations:read");
  const visibleIds = scope.global ? null : [...new Set([...scope.orgIds, ...auth.memberOrgIds])];
  const { rows, total } = await listOrganizationRows(deps.db, { ...filter, visibleIds }, page);
  return listOf("organizations", rows.map(toOrganizationView), total, page);
}

/** One organization the caller may see (404 otherwise). */
export async function getOrganization(deps: Store, auth: AuthContext, id: number): Promise<OrganizationView> {
  return toOrganizationView(await visibleOrganization(deps, auth, id));
}

/** The fields of an organization create or update body. */
export interface OrganizationInput {
  name?: string | undefined;
  description?: string | null | undefined;
  domain?: string | null | undefined;
  active?: boolean | undefined;
  admin_ids?: number[] | undefined;
}

/** Creates an organization (the route requires `organizations:create`), its `admin_ids` joining as admins. */
export async function createOrganization(
  deps: Store,
  input: OrganizationInput & { name: string },
): Promise<OrganizationView> {
  const adminIds = [...new Set(input.admin_ids ?? [])];
  await assertUsersExist(deps, adminIds);
  let id: number | undefined;
  try {
    const [inserted] = await deps.d1.batch([
      insertOrganizationStatement(deps.d1, {
        name: input.name,
        description: input.description ?? null,
        domain: input.domain ?? null,
        active: input.active ?? true,
      }),
      addAdminsToNewOrganizationStatement(deps.d1, input.name, adminIds),
    ]);
    id = (inserted?.results[0] as { id: number } | undefined)?.id;
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(input.name);
    throw err;
  }
  const row = id === undefined ? undefined : await findOrganization(deps.db, id);
  if (!row) throw new Error("organization insert returned no row");
  return toOrganizationView(row);
}

/**
 * Updates an organization. Holders of `organizations:update` (globally or for this organization) may
 * change every field; its admins only `description` and `admin_ids` (403 FIELD_NOT_ALLOWED for the
 * others). `admin_ids` is the exact admin set: listed non-members join as admins, other members stay
 * members without the flag.
 */
export async function updateOrganization(
  deps: Store,
  auth: AuthContext,
  id: number,
  input: OrganizationInput,
): Promise<OrganizationView> {
  const scope = scopeOf(auth, "organizations:update");
  assertAnyScope(scope);
  const row = canSeeOrganization(auth, id) || inScope(scope, id) ? await findOrganization(deps.db, id) : undefined;
  if (!row) throw notFound("Organization", id);
  if (!inScope(scope, id)) throw forbidden();
  if (!canInOrg(auth, "organizations:update", id)) {
    const restricted = (["name", "domain", "active"] as const).filter((f) => input[f] !== undefined);
    if (restricted.length) throw fieldsNotAllowed(restricted, "the organizations:update permission");
  }
  const statements = [
    updateOrganizationStatement(deps.d1, id, {
      name: input.name ?? row.name,
      description: input.description === undefined ? row.description : input.description,
      domain: input.domain === undefined ? row.domain : input.domain,
      active: input.active ?? row.active,
    }),
  ];
  if (input.admin_ids) {
    const adminIds = [...new Set(input.admin_ids)];
    await assertUsersExist(deps, adminIds);
    statements.push(...setAdminsStatements(deps.d1, id, adminIds));
  }
  try {
    await deps.d1.batch(statements);
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(input.name ?? row.name);
    throw err;
  }
  return toOrganizationView((await findOrganization(deps.db, id)) ?? row);
}

/**
 * Deletes an organization (the route requires `organizations:delete`) that has no members, roles or
 * custom permissions left: 409 ORGANIZATION_NOT_EMPTY otherwise, rather than a cascade that would
 * silently strip users of their roles.
 */
export async function deleteOrganization(deps: Store, id: number): Promise<void> {
  if (await deleteEmptyOrganizationStatement(deps.d1, id).first()) return;
  if (!(await findOrganization(deps.db, id))) throw notFound("Organization", id);
  const usage = await organizationUsage(deps.db, id);
  throw conflict(
    `Organization ${id} still has ${usage.members} member(s), ${usage.roles} role(s) and ${usage.permissions} permission(s); remove them first`,
    "ORGANIZATION_NOT_EMPTY",
  );
}
