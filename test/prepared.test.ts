import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { dbOf } from "../src/db/client";
import { prepared, preparedStatement } from "../src/db/prepared";
import { roles, userRoles, users } from "../src/db/schema";
import { createUser } from "./factories";
import { env } from "./helpers";

/** A selection of every kind the compiled row mapping takes: plain, boolean and timestamp-text columns, aliased SQL with and without a decoder. */
const columns = {
  id: users.id,
  username: users.username,
  isActive: users.isActive,
  emailVerified: users.emailVerified,
  lastLogin: users.lastLogin,
  roleNames:
    sql<string>`(SELECT json_group_array(r.name) FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = ${users.id})`.as(
      "role_names",
    ),
  hasRole: sql<boolean>`exists (SELECT 1 FROM user_roles ur WHERE ur.user_id = ${users.id})`
    .mapWith(Boolean)
    .as("has_role"),
};

const byId = prepared((db) =>
  db
    .select(columns)
    .from(users)
    .where(eq(users.id, sql.placeholder("id")))
    .prepare(),
);

/** Unaliased SQL in the selection: drizzle maps these rows itself. */
const withPlainSql = prepared((db) =>
  db
    .select({ id: users.id, active: sql`${users.isActive} = 1`.mapWith(Boolean) })
    .from(users)
    .where(eq(users.id, sql.placeholder("id")))
    .prepare(),
);

/** Two columns named `id` (a join): drizzle maps these rows itself. */
const joined = prepared((db) =>
  db
    .select({ userId: users.id, roleId: roles.id, roleName: roles.name })
    .from(users)
    .innerJoin(userRoles, eq(userRoles.userId, users.id))
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(eq(users.id, sql.placeholder("id")))
    .prepare(),
);

describe("prepared reads", () => {
  it("map their rows exactly as drizzle does, through all(), get() and a batch statement", async () => {
    const db = dbOf(env.DB);
    for (const role of ["ADMIN", null] as const) {
      const user = await createUser({ role });
      const expected = await db.select(columns).from(users).where(eq(users.id, user.id));
      expect(expected).toHaveLength(1);
      expect(typeof expected[0]?.isActive).toBe("boolean");
      expect(expected[0]?.hasRole).toBe(role !== null);

      expect(await byId(db).all({ id: user.id })).toEqual(expected);
      expect(await byId(env.DB).get({ id: user.id })).toEqual(expected[0]);
      const read = preparedStatement(byId(db), env.DB, { id: user.id });
      const [result] = await env.DB.batch([read.statement]);
      expect(read.rows(result?.results ?? [])).toEqual(expected);
    }
  });

  it("answer no row as drizzle does", async () => {
    expect(await byId(env.DB).all({ id: -1 })).toEqual([]);
    expect(await byId(env.DB).get({ id: -1 })).toBeUndefined();
  });

  it("leave to drizzle the selections the compiled mapping does not take", async () => {
    const db = dbOf(env.DB);
    const user = await createUser({ role: "ADMIN" });
    expect(await withPlainSql(db).all({ id: user.id })).toEqual([{ id: user.id, active: true }]);
    expect(await joined(db).all({ id: user.id })).toEqual(
      await db
        .select({ userId: users.id, roleId: roles.id, roleName: roles.name })
        .from(users)
        .innerJoin(userRoles, eq(userRoles.userId, users.id))
        .innerJoin(roles, eq(roles.id, userRoles.roleId))
        .where(eq(users.id, user.id)),
    );
    expect((await joined(db).all({ id: user.id }))[0]).toMatchObject({ userId: user.id, roleName: "ADMIN" });
  });
});
