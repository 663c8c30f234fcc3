import { and, asc, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { findPage } from "../../../db/page";
import { prepared, preparedStatement } from "../../../db/prepared";
import { organizations } from "../../../db/schema";
import { amongIds, containsText } from "../../../db/sql";
import { type Statement, statement } from "../../../db/statement";
import { nameKey } from "../../../lib/names";
import type { Page } from "../../../lib/pagination";

/** The outer `organizations.id`, always table-qualified so that the subqueries below don't rebind it. */
const ORG_ID = sql.raw('"organizations"."id"');

const columns = {
  id: organizations.id,
  name: organizations.name,
  description: organizations.description,
  domain: organizations.domain,
  active: organizations.active,
  createdAt: organizations.createdAt,
  updatedAt: organizations.updatedAt,
  adminIds:
    sql<string>`(SELECT json_group_array(om.user_id) FROM organization_members om WHERE om.organization_id = ${ORG_ID} AND om.is_admin = 1)`.as(
      "admin_ids",
    ),
  memberCount: sql<number>`(SELECT count(*) FROM organization_members om WHERE om.organization_id = ${ORG_ID})`.as(
    "member_count",
  ),
};

/** An organization row with its admin ids (JSON) and member count. */
export interface OrganizationRow {
  id: number;
  name: string;
  description: string | null;
  domain: string | null;
  active: boolean;
  createdAt: string;
  updatedAt: string;
  adminIds: string;
  memberCount: number;
}

/** Filters of the organization list; `visibleIds` null means every organization. */
export interface OrganizationFilter {
  visibleIds: readonly number[] | null;
  search?: string | undefined;
  active?: boolean | undefined;
}

/** One page of organizations and the total. */
export function listOrganizations(db: Db, filter: OrganizationFilter, page: Page) {
  const where: SQL[] = [];
  if (filter.visibleIds !== null) where.push(amongIds(organizations.id, filter.visibleIds));
  if (filter.active !== undefined) where.push(eq(organizations.active, filter.active));
  if (filter.search !== undefined) where.push(containsText(organizations.name, filter.search));
  return findPage<OrganizationRow>(
    db,
    { from: organizations, columns, where: and(...where), orderBy: asc(organizations.id) },
    page,
  );
}

/** One organization by id, or undefined. */
export async function findOrganization(db: Db, id: number): Promise<OrganizationRow | undefined> {
  const rows = await db.select(columns).from(organizations).where(eq(organizations.id, id)).limit(1);
  return rows[0] as OrganizationRow | undefined;
}

/** One organization by a unique column's value (the placeholder `value`), prepared. */
const organizationBy = (column: typeof organizations.id | typeof organizations.nameKey) =>
  prepared((db) =>
    db
      .select(columns)
      .from(organizations)
      .where(eq(column, sql.placeholder("value")))
      .prepare(),
  );
const organizationById = organizationBy(organizations.id);
const organizationByNameKey = organizationBy(organizations.nameKey);

/**
 * `findOrganization()` as a statement of the caller's own batch, and its row from that statement's
 * rows. `ref` is an id, or the name of an organization the same batch creates (read by its unique
 * `name_key`).
 */
export function organizationStatement(db: Db, ref: number | { name: string }) {
  const read =
    typeof ref === "number"
      ? preparedStatement(organizationById(db), db.$client, { value: ref })
      : preparedStatement(organizationByNameKey(db), db.$client, { value: nameKey(ref.name) });
  return {
    statement: read.statement,
    row: (rows: unknown[]) => read.rows(rows)[0] as OrganizationRow | undefined,
  };
}

/** How many members, roles and custom permissions still refer to the organization. */
export async function organizationUsage(db: Db, id: number) {
  const rows = await db.all<{ members: number; roles: number; permissions: number }>(sql`
    SELECT (SELECT count(*) FROM organization_members WHERE organization_id = ${id}) AS members,
           (SELECT count(*) FROM roles WHERE organization_id = ${id}) AS roles,
           (SELECT count(*) FROM permissions WHERE organization_id = ${id}) AS permissions`);
  return rows[0] ?? { members: 0, roles: 0, permissions: 0 };
}

/**
 * The ids among `ids` of active organizations whose `domain` is `domain` (case-insensitive): those a
 * self-registering user with an email of that domain may join.
 */
export async function joinableOrganizationIds(db: Db, domain: string, ids: readonly number[]): Promise<number[]> {
  const rows = await db
    .select({ id: organizations.id })
    .from(organizations)
    .where(
      and(
        eq(organizations.active, true),
        sql`lower(${organizations.domain}) = lower(${domain})`,
        amongIds(organizations.id, ids),
      ),
    );
  return rows.map((r) => r.id);
}

/** An organization's own columns, as written. */
export interface OrganizationFields {
  name: string;
  description: string | null;
  domain: string | null;
  active: boolean;
}

/** Inserts an organization; returns its id. */
export function insertOrganizationStatement(
  d1: D1Database,
  o: OrganizationFields,
  at: string,
): Statement<{ id: number }> {
  return statement(
    d1,
    "INSERT INTO organizations (name, description, domain, active, created_at, updated_at, name_key) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6) RETURNING id",
    o.name,
    o.description,
    o.domain,
    o.active ? 1 : 0,
    at,
    nameKey(o.name),
  );
}

/** Makes `userIds` admins of the organization named `name`, inserted in the same batch. */
export function addAdminsToNewOrganizationStatement(
  d1: D1Database,
  name: string,
  userIds: readonly number[],
  at: string,
): Statement {
  return statement(
    d1,
    `INSERT INTO organization_members (organization_id, user_id, is_admin, created_at)
     SELECT (SELECT id FROM organizations WHERE lower(name) = lower(?1)), value, 1, ?3 FROM json_each(?2)`,
    name,
    JSON.stringify(userIds),
    at,
  );
}

/** Updates an organization's own fields. */
export function updateOrganizationStatement(d1: D1Database, id: number, o: OrganizationFields, at: string): Statement {
  return statement(
    d1,
    "UPDATE organizations SET name = ?2, description = ?3, domain = ?4, active = ?5, updated_at = ?6, name_key = ?7 WHERE id = ?1",
    id,
    o.name,
    o.description,
    o.domain,
    o.active ? 1 : 0,
    at,
    nameKey(o.name),
  );
}

/**
 * Statements that make `userIds` exactly the organization's admins: members listed become admins,
 * others stay members without the flag, and listed non-members join as admins.
 */
export function setAdminsStatements(d1: D1Database, id: number, userIds: readonly number[], at: string): Statement[] {
  const ids = JSON.stringify(userIds);
  return [
    statement(
      d1,
      `UPDATE organization_members SET is_admin = (user_id IN (SELECT value FROM json_each(?2)))
        WHERE organization_id = ?1`,
      id,
      ids,
    ),
    statement(
      d1,
      `INSERT OR IGNORE INTO organization_members (organization_id, user_id, is_admin, created_at)
       SELECT ?1, value, 1, ?3 FROM json_each(?2)`,
      id,
      ids,
      at,
    ),
  ];
}

/**
 * Deletes an organization that no member, role or permission refers to, in one conditional statement;
 * returns its id when deleted.
 */
export function deleteEmptyOrganizationStatement(d1: D1Database, id: number): Statement<{ id: number }> {
  return statement(
    d1,
    `DELETE FROM organizations WHERE id = ?1
        AND NOT EXISTS (SELECT 1 FROM organization_members WHERE organization_id = ?1)
        AND NOT EXISTS (SELECT 1 FROM roles WHERE organization_id = ?1)
        AND NOT EXISTS (SELECT 1 FROM permissions WHERE organization_id = ?1) RETURNING id`,
    id,
  );
}

/** The organizations among `ids` that exist (their `id`s), as a query for the caller's `db.batch()`. */
export function existingOrganizationsQuery(db: Db, ids: readonly number[]) {
  return db.select({ id: organizations.id }).from(organizations).where(amongIds(organizations.id, ids));
}
