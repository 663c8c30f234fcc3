import { describe, expect, it } from "vitest";
import { fixtureAdmin } from "./access-fixtures";
import { createTraining, createUser, signedIn } from "./factories";
import { body, env, send, unique } from "./helpers";

const { token: admin } = await fixtureAdmin();

/** The payloads of the outbox events named `event` whose `data.<field>` is `value`, oldest first. */
async function events(event: string, field: string, value: number) {
  const { results } = await env.DB.prepare(
    `SELECT payload FROM outbox_events WHERE event = ?1 AND json_extract(payload, '$.data.${field}') = ?2 ORDER BY id`,
  )
    .bind(event, value)
    .all<{ payload: string }>();
  return results.map(
    (r) => JSON.parse(r.payload) as { event: string; timestamp: string; data: Record<string, unknown> },
  );
}

describe("every contract event is recorded in the outbox with its change", () => {
  it("user.updated names the changed fields", async () => {
    const user = await createUser();
    expect((await send("PATCH", `/api/v1/users/${user.id}`, { department: "Ops" }, admin)).status).toBe(200);
    expect(await events("user.updated", "user_id", user.id)).toMatchObject([
      { event: "user.updated", data: { user_id: user.id, changed: ["department"] } },
    ]);
  });

  it("user.deactivated once when a user is deleted, not again for an inactive one; toggling back records user.updated", async () => {
    const user = await createUser();
    expect((await send("DELETE", `/api/v1/users/${user.id}`, undefined, admin)).status).toBe(200);
    await send("DELETE", `/api/v1/users/${user.id}`, undefined, admin);
    expect(await events("user.deactivated", "user_id", user.id)).toHaveLength(1);
    expect((await send("PATCH", `/api/v1/admin/users/${user.id}/toggle-status`, undefined, admin)).status).toBe(200);
    expect(await events("user.updated", "user_id", user.id)).toMatchObject([{ data: { changed: ["is_active"] } }]);
    expect((await send("PATCH", `/api/v1/admin/users/${user.id}/toggle-status`, undefined, admin)).status).toBe(200);
    expect(await events("user.deactivated", "user_id", user.id)).toHaveLength(2);
  });

  it("training.updated and training.deleted, and nothing for a refused delete", async () => {
    const training = await createTraining(admin);
    expect((await send("PATCH", `/api/v1/trainings/${training.id}`, { credits: 3 }, admin)).status).toBe(200);
    expect(await events("training.updated", "training_id", training.id)).toMatchObject([
      { data: { training_id: training.id, changed: ["credits"] } },
    ]);
    const busy = await createTraining(admin);
    const me = await signedIn("EMPLOYEE");
    expect((await send("POST", `/api/v1/trainings/${busy.id}/register`, {}, me.token)).status).toBe(201);
    expect((await send("DELETE", `/api/v1/trainings/${busy.id}`, undefined, admin)).status).toBe(409);
    expect(await events("training.deleted", "training_id", busy.id)).toEqual([]);
    expect((await send("DELETE", `/api/v1/trainings/${training.id}`, undefined, admin)).status).toBe(200);
    expect(await events("training.deleted", "training_id", training.id)).toHaveLength(1);
  });

  it("registration.created with the new id, registration.cancelled once; a refused registration records nothing", async () => {
    const training = await createTraining(admin, { max_participants: 1 });
    const me = await signedIn("EMPLOYEE");
    const res = await send("POST", "/api/v1/registrations", { training_id: training.id }, me.token);
    const registration = (await body(res)).registration;
    expect(await events("registration.created", "training_id", training.id)).toMatchObject([
      { data: { registration_id: registration.id, user_id: me.user.id, training_id: training.id } },
    ]);
    const other = await signedIn("EMPLOYEE");
    expect((await send("POST", "/api/v1/registrations", { training_id: training.id }, other.token)).status).toBe(409);
    expect(await events("registration.created", "training_id", training.id)).toHaveLength(1);
    expect((await send("DELETE", `/api/v1/registrations/${registration.id}`, undefined, me.token)).status).toBe(200);
    await send("DELETE", `/api/v1/registrations/${registration.id}`, undefined, me.token);
    expect(await events("registration.cancelled", "registration_id", registration.id)).toMatchObject([
      { data: { registration_id: registration.id, user_id: me.user.id } },
    ]);
  });

  it("progress.updated for each recorded score, not for a refused one", async () => {
    const mod = (await body(await send("POST", "/api/v1/modules", { title: unique("Module ") }, admin))).module;
    const user = await createUser();
    const path = `/api/v1/users/${user.id}/progress/${mod.id}`;
    expect((await send("PUT", path, { score: 10 }, admin)).status).toBe(201);
    expect((await send("PUT", path, { score: 100000 }, admin)).status).toBe(422);
    expect((await send("PUT", path, { score: 20 }, admin)).status).toBe(200);
    const recorded = await events("progress.updated", "module_id", mod.id);
    expect(recorded.map((e) => e.data)).toMatchObject([
      { user_id: user.id, module_id: mod.id, score: 10 },
      { user_id: user.id, module_id: mod.id, score: 20 },
    ]);
  });
});
