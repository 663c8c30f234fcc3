import { jsonIds } from "../../../db/sql";
import { runBatch, type Statement } from "../../../db/statement";
import { type AuthContext, canInOrg, inScope, type Scope } from "../../../lib/access";
import { isoNow } from "../../../lib/clock";
import { HttpErrors } from "../../../lib/errors";
import { listOf, type Page } from "../../../lib/pagination";
import type { Deps } from "../../../middleware/deps";
import { auditStatement } from "../../audit";
import { AccessErrors } from "../errors";
import { canSeeOrganization, userVisibility } from "../rules";
import { visibleUserIdsStatement } from "../users/user-repository";
import {
  addAdminsToNewOrganizationStatement,
  deleteEmptyOrganizationStatement,
  findOrganization,
  insertOrganizationStatement,
  listOrganizations as listOrganizationRows,
  type OrganizationRow,
  organizationStatement,
  organizationUsage,
  setAdminsStatements,
  updateOrganizationStatement,
} from "./organization-repository";
import type { OrganizationView } from "./schemas";

/** The API's representation of an organization. */
export function toOrganizationView(row: OrganizationRow): OrganizationView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    domain: row.domain,
    active: row.active,
    admin_ids: jsonIds(row.adminIds),
    member_count: row.memberCount,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

/** A write refused by the unique organization name. */
const nameTaken = (name: string) => ({ unique: () => AccessErrors.ORGANIZATION_NAME_TAKEN(name) });

/**
 * Which of `ids` the caller may see (`userVisibility`), as a read to batch: its `statement`, and
 * `assert`, which throws 404 USER_NOT_FOUND for the first of `ids` its rows don't name (a user the
 * caller can't see answers exactly as a missing one).
 */
export function usersVisibleRead(deps: Deps, auth: AuthContext, ids: readonly number[]) {
  const read = visibleUserIdsStatement(deps.db, ids, userVisibility(auth), auth.userId);
  return {
    statement: read.statement,
    assert(rows: unknown[]): void {
      const visible = read.ids(rows);
      const missing = ids.find((id) => !visible.has(id));
      if (missing !== undefined) throw AccessErrors.USER_NOT_FOUND(missing);
    },
  };
}

/** An organization the caller may see (`organizations:read` or membership), else 404. */
async function visibleOrganization(deps: Deps, auth: AuthContext, id: number): Promise<OrganizationRow> {
  const row = canSeeOrganization(auth, id) ? await findOrganization(deps.db, id) : undefined;
  if (!row) throw AccessErrors.ORGANIZATION_NOT_FOUND(id);
  return row;
}

/** A page of organizations: all with a global `organizations:read` scope, otherwise the caller's own. */
export async function listOrganizations(
  deps: Deps,
  auth: AuthContext,
  scope: Scope,
  filter: { search?: string | undefined; active?: boolean | undefined },
  page: Page,
) {
  const visibleIds = scope.global ? null : [...new Set([...scope.orgIds, ...auth.memberOrgIds])];
  const { rows, total } = await listOrganizationRows(deps.db, { ...filter, visibleIds }, page);
  return listOf("organizations", rows.map(toOrganizationView), total, page);
}

/** One organization the caller may see (404 otherwise). */
export async function getOrganization(deps: Deps, auth: AuthContext, id: number): Promise<OrganizationView> {
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

/**
 * Creates an organization, its `admin_ids` joining as admins: the admins' visibility is read first
 * (when there are any), then one batch writes and reads the view answered.
 */
export async function createOrganization(
  deps: Deps,
  auth: AuthContext,
  input: OrganizationInput & { name: string },
): Promise<OrganizationView> {
  const adminIds = [...new Set(input.admin_ids ?? [])];
  if (adminIds.length) {
    const visibility = usersVisibleRead(deps, auth, adminIds);
    const [visible] = await runBatch(deps.d1, [visibility.statement]);
    visibility.assert(visible);
  }
  const at = isoNow(deps.clock);
  const fields = {
    name: input.name,
    description: input.description ?? null,
    domain: input.domain ?? null,
    active: input.active ?? true,
  };
  // The new organization is read back by its name (its unique name key) in the same batch.
  const view = organizationStatement(deps.db, { name: input.name });
  const [, , , viewRows] = await runBatch(
    deps.d1,
    [
      insertOrganizationStatement(deps.d1, fields, at),
      addAdminsToNewOrganizationStatement(deps.d1, input.name, adminIds, at),
      auditStatement(deps.d1, {
        event: "organization_created",
        user: auth.userId,
        meta: deps.meta,
        detail: `organization '${input.name}', admins [${adminIds.join(",")}]`,
        at,
      }),
      view.statement,
    ],
    nameTaken(input.name),
  );
  const row = view.row(viewRows);
  if (!row) throw new Error("organization insert returned no row");
  return toOrganizationView(row);
}

/**
 * Updates an organization (see the route for what its admins may change): the organization and the
 * named admins' visibility are read in one batch and judged in that order, then one batch writes and
 * reads the view answered.
 */
export async function updateOrganization(
  deps: Deps,
  auth: AuthContext,
  scope: Scope,
  id: number,
  input: OrganizationInput,
): Promise<OrganizationView> {
  if (!canSeeOrganization(auth, id) && !inScope(scope, id)) throw AccessErrors.ORGANIZATION_NOT_FOUND(id);
  const adminIds = input.admin_ids ? [...new Set(input.admin_ids)] : undefined;
  const current = organizationStatement(deps.db, id);
  const visibility = adminIds?.length ? usersVisibleRead(deps, auth, adminIds) : undefined;
  const reads: Statement[] = [current.statement];
  if (visibility) reads.push(visibility.statement);
  const [orgRows = [], visibleRows = []] = await runBatch(deps.d1, reads);
  const row = current.row(orgRows);
  if (!row) throw AccessErrors.ORGANIZATION_NOT_FOUND(id);
  if (!inScope(scope, id)) throw HttpErrors.FORBIDDEN();
  if (!canInOrg(auth, "organizations:update", id)) {
    const restricted = (["name", "domain", "active"] as const).filter((f) => input[f] !== undefined);
    if (restricted.length) throw AccessErrors.FIELD_NOT_ALLOWED(restricted, "the organizations:update permission");
  }
  visibility?.assert(visibleRows);
  const at = isoNow(deps.clock);
  const statements: Statement[] = [
    updateOrganizationStatement(
      deps.d1,
      id,
      {
        name: input.name ?? row.name,
        description: input.description === undefined ? row.description : input.description,
        domain: input.domain === undefined ? row.domain : input.domain,
        active: input.active ?? row.active,
      },
      at,
    ),
  ];
  const changed: string[] = (["name", "description", "domain", "active"] as const).filter(
    (f) => input[f] !== undefined,
  );
  if (adminIds) {
    statements.push(...setAdminsStatements(deps.d1, id, adminIds, at));
    changed.push(`admins [${adminIds.join(",")}]`);
  }
  statements.push(
    auditStatement(deps.d1, {
      event: "organization_updated",
      user: auth.userId,
      meta: deps.meta,
      detail: `organization ${id}: ${changed.join(", ")}`,
      at,
    }),
  );
  // The view answered, read after the writes in the same batch.
  const view = organizationStatement(deps.db, id);
  statements.push(view.statement);
  const results = await runBatch(deps.d1, statements, nameTaken(input.name ?? row.name));
  return toOrganizationView(view.row(results[results.length - 1] ?? []) ?? row);
}

/** Deletes an organization that nothing refers to any more (see the route). */
export async function deleteOrganization(deps: Deps, auth: AuthContext, id: number): Promise<void> {
  const at = isoNow(deps.clock);
  const [[deleted]] = await runBatch(deps.d1, [
    deleteEmptyOrganizationStatement(deps.d1, id),
    auditStatement(
      deps.d1,
      { event: "organization_deleted", user: auth.userId, meta: deps.meta, detail: `organization ${id}`, at },
      { sql: "changes() > 0", params: [] },
    ),
  ]);
  if (deleted) return;
  if (!(await findOrganization(deps.db, id))) throw AccessErrors.ORGANIZATION_NOT_FOUND(id);
  throw AccessErrors.ORGANIZATION_NOT_EMPTY(id, await organizationUsage(deps.db, id));
}
