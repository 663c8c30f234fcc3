import { describe, expect, it } from "vitest";
import { type AuthContext, scopeOf } from "../src/lib/access";
import { systemClock } from "../src/lib/clock";
import { SYSTEM_ROLE_PERMISSIONS, type SystemRole } from "../src/lib/permissions";
import { depsOf } from "../src/middleware/deps";
import { register, updateRegistration } from "../src/modules/registrations/registration-service";
import { createTraining, createUser, signedIn, tokenFor } from "./factories";
import { body, env, expectError, send } from "./helpers";

const REGISTRATIONS = "/api/v1/registrations";

const manager = await signedIn("KNOWLEDGE_MANAGER");
const admin = await signedIn("ADMIN");

const registerAs = (token: string, trainingId: number, userId?: number) =>
  send(
    "POST",
    REGISTRATIONS,
    userId === undefined ? { training_id: trainingId } : { training_id: trainingId, user_id: userId },
    token,
  );

/** Registers the user and returns the registration. */
async function registered(token: string, trainingId: number) {
  const res = await registerAs(token, trainingId);
  expect(res.status).toBe(201);
  return (await body(res)).registration;
}

const activeCount = async (trainingId: number) =>
  (
    await env.DB.prepare("SELECT count(*) AS n FROM registrations WHERE training_id = ?1 AND status <> 'CANCELLED'")
      .bind(trainingId)
      .first<{ n: number }>()
  )?.n;

const setStatus = (id: number, status: string, token = manager.token) =>
  send("PUT", `${REGISTRATIONS}/${id}`, { status }, token);

describe("POST /registrations", () => {
  it("registers the caller (201) in the OpenKMS shape, with no conflicts", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const res = await registerAs(me.token, training.id);
    expect(res.status).toBe(201);
    expect(await body(res)).toEqual({
      registration: {
        id: expect.any(Number),
        user_id: me.user.id,
        training_id: training.id,
        status: "REGISTERED",
        registered_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        attended_at: null,
        completion_date: null,
        cancelled_at: null,
        feedback_score: null,
      },
      message: "Registration successful",
      conflicts: [],
    });
  });

  it("answers 401 without credentials", async () => {
    const training = await createTraining(manager.token);
    await expectError(await send("POST", REGISTRATIONS, { training_id: training.id }), 401, "UNAUTHORIZED");
  });

  it("answers 403 for a role without registrations:create", async () => {
    const training = await createTraining(manager.token);
    const integration = await signedIn("API");
    await expectError(await registerAs(integration.token, training.id), 403, "FORBIDDEN");
  });

  it("answers 422 for a missing or malformed training_id", async () => {
    const me = await signedIn("EMPLOYEE");
    await expectError(await send("POST", REGISTRATIONS, {}, me.token), 422, "VALIDATION_ERROR");
    await expectError(await send("POST", REGISTRATIONS, { training_id: "one" }, me.token), 422, "VALIDATION_ERROR");
    await expectError(await send("POST", REGISTRATIONS, { training_id: -1 }, me.token), 422, "VALIDATION_ERROR");
  });

  it("answers 404 TRAINING_NOT_FOUND for an unknown training", async () => {
    const me = await signedIn("EMPLOYEE");
    const unknown = await expectError(await registerAs(me.token, 999_999_999), 404, "TRAINING_NOT_FOUND");
    expect(unknown.detail).toBe("Training with id 999999999 not found");
  });

  it("answers 404 for a draft the caller can't see, as for an unknown training", async () => {
    const me = await signedIn("EMPLOYEE");
    const draft = await createTraining(manager.token, { status: "DRAFT" });
    const hidden = await expectError(await registerAs(me.token, draft.id), 404, "TRAINING_NOT_FOUND");
    expect(hidden.detail).toBe(`Training with id ${draft.id} not found`);
    expect(await activeCount(draft.id)).toBe(0);
  });

  it("answers 409 TRAINING_NOT_PUBLISHED for a draft to those who can see it", async () => {
    const draft = await createTraining(manager.token, { status: "DRAFT" });
    await expectError(await registerAs(manager.token, draft.id), 409, "TRAINING_NOT_PUBLISHED");
    expect(await activeCount(draft.id)).toBe(0);
  });

  it("refuses a second active registration with 409 ALREADY_REGISTERED", async () => {
    const training = await createTraining(manager.token, { max_participants: 1 });
    const me = await signedIn("EMPLOYEE");
    await registered(me.token, training.id);
    const again = await expectError(await registerAs(me.token, training.id), 409, "ALREADY_REGISTERED");
    expect(again.detail).toBe(`User ${me.user.id} is already registered for training ${training.id}`);
  });

  it("allows registering again after cancelling", async () => {
    const training = await createTraining(manager.token, { max_participants: 1 });
    const me = await signedIn("EMPLOYEE");
    const first = await registered(me.token, training.id);
    await send("DELETE", `${REGISTRATIONS}/${first.id}`, undefined, me.token);
    const second = await registered(me.token, training.id);
    expect(second.id).not.toBe(first.id);
  });

  it("refuses with 409 TRAINING_FULL when no seat is left", async () => {
    const training = await createTraining(manager.token, { max_participants: 2 });
    await registered((await signedIn("EMPLOYEE")).token, training.id);
    await registered((await signedIn("EMPLOYEE")).token, training.id);
    const c = await signedIn("EMPLOYEE");
    const full = await expectError(await registerAs(c.token, training.id), 409, "TRAINING_FULL");
    expect(full.detail).toBe(`Training ${training.id} is full (2 of 2 seats taken)`);
  });

  it("frees a seat on cancellation", async () => {
    const training = await createTraining(manager.token, { max_participants: 2 });
    const a = await signedIn("EMPLOYEE");
    const b = await signedIn("EMPLOYEE");
    const c = await signedIn("EMPLOYEE");
    await registered(a.token, training.id);
    const regB = await registered(b.token, training.id);
    await send("DELETE", `${REGISTRATIONS}/${regB.id}`, undefined, b.token);
    await registered(c.token, training.id);
    expect(await activeCount(training.id)).toBe(2);
  });

  it("lets a registration manager register another user", async () => {
    const training = await createTraining(manager.token);
    const someone = await createUser();
    const res = await registerAs(manager.token, training.id, someone.id);
    expect(res.status).toBe(201);
    expect((await body(res)).registration.user_id).toBe(someone.id);
  });

  it("refuses an employee naming someone else (403)", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const other = await createUser();
    const json = await expectError(await registerAs(me.token, training.id, other.id), 403, "FORBIDDEN");
    expect(json.detail).toBe("Only registration managers can register other users");
  });

  it("lets an employee name itself", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    expect((await registerAs(me.token, training.id, me.user.id)).status).toBe(201);
  });

  it("answers 404 USER_NOT_FOUND when a manager names an unknown or deactivated user", async () => {
    const training = await createTraining(manager.token);
    await expectError(await registerAs(manager.token, training.id, 999_999_999), 404, "USER_NOT_FOUND");
    const inactive = await createUser({ isActive: false });
    await expectError(await registerAs(manager.token, training.id, inactive.id), 404, "USER_NOT_FOUND");
    expect(await activeCount(training.id)).toBe(0);
  });

  it("holds the seat limit when 50 users race for the last seat: one 201, 49 × 409 TRAINING_FULL", async () => {
    const training = await createTraining(manager.token, { max_participants: 3 });
    for (let i = 0; i < 2; i++) await registered((await signedIn("EMPLOYEE")).token, training.id);
    const racers = await Promise.all(Array.from({ length: 50 }, () => createUser()));
    const tokens = await Promise.all(racers.map((u) => tokenFor(u.id)));
    const responses = await Promise.all(tokens.map((t) => registerAs(t, training.id)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const codes = await Promise.all(responses.filter((r) => r.status === 409).map(async (r) => (await body(r)).code));
    expect(new Set(codes)).toEqual(new Set(["TRAINING_FULL"]));
    expect(await activeCount(training.id)).toBe(3);
  });

  it("lets only one of two simultaneous registrations of the same user through (409 ALREADY_REGISTERED)", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const responses = await Promise.all([registerAs(me.token, training.id), registerAs(me.token, training.id)]);
    expect(responses.map((r) => r.status).sort()).toEqual([201, 409]);
    const loser = responses.find((r) => r.status === 409);
    expect((await body(loser as Response)).code).toBe("ALREADY_REGISTERED");
    expect(await activeCount(training.id)).toBe(1);
  });

  it("reports, without refusing, the user's active registrations that overlap in time", async () => {
    const me = await signedIn("EMPLOYEE");
    const morning = await createTraining(manager.token, {
      start_date: "2026-09-01T09:00:00Z",
      end_date: "2026-09-01T12:00:00Z",
    });
    const byDuration = await createTraining(manager.token, {
      start_date: "2026-09-01T08:00:00Z",
      duration_minutes: 90,
    });
    const cancelled = await createTraining(manager.token, {
      start_date: "2026-09-01T10:00:00Z",
      end_date: "2026-09-01T11:00:00Z",
    });
    const afternoon = await createTraining(manager.token, {
      start_date: "2026-09-01T13:00:00Z",
      end_date: "2026-09-01T15:00:00Z",
    });
    const undated = await createTraining(manager.token);
    await registered(me.token, morning.id);
    await registered(me.token, byDuration.id);
    await registered(me.token, afternoon.id);
    await registered(me.token, undated.id);
    const gone = await registered(me.token, cancelled.id);
    await send("DELETE", `${REGISTRATIONS}/${gone.id}`, undefined, me.token);

    const overlapping = await createTraining(manager.token, {
      start_date: "2026-09-01T11:00:00Z",
      end_date: "2026-09-01T13:00:00Z",
    });
    const res = await registerAs(me.token, overlapping.id);
    expect(res.status).toBe(201);
    const json = await body(res);
    expect(json.conflicts).toEqual([
      { training_id: morning.id, title: morning.title, start_date: morning.start_date, end_date: morning.end_date },
    ]);
    expect(json.warning).toBe("This training overlaps in time with 1 other registration(s) of the user");

    const early = await createTraining(manager.token, {
      start_date: "2026-09-01T08:30:00Z",
      end_date: "2026-09-01T09:30:00Z",
    });
    const both = await body(await registerAs(me.token, early.id));
    expect(both.conflicts.map((c: { training_id: number }) => c.training_id)).toEqual([byDuration.id, morning.id]);
    expect(both.conflicts[0].end_date).toBeNull();
  });
});

describe("GET /registrations", () => {
  it("shows an employee only its own registrations, whatever user_id it asks for", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const other = await signedIn("EMPLOYEE");
    const mine = await registered(me.token, training.id);
    await registered(other.token, training.id);
    const json = await body(await send("GET", `${REGISTRATIONS}?training_id=${training.id}`, undefined, me.token));
    expect(json).toEqual({ registrations: [mine], total: 1, skip: 0, limit: 100 });
    const asked = await body(await send("GET", `${REGISTRATIONS}?user_id=${other.user.id}`, undefined, me.token));
    expect(asked).toMatchObject({ registrations: [], total: 0 });
  });

  it("shows a manager everyone's, filtered by user_id, training_id and status, paged", async () => {
    const training = await createTraining(manager.token);
    const users = await Promise.all([signedIn("EMPLOYEE"), signedIn("EMPLOYEE"), signedIn("EMPLOYEE")]);
    const regs = [];
    for (const u of users) regs.push(await registered(u.token, training.id));
    await setStatus(regs[1].id, "ATTENDED");
    const list = async (q: string) => body(await send("GET", `${REGISTRATIONS}?${q}`, undefined, manager.token));
    const all = await list(`training_id=${training.id}`);
    expect(all.total).toBe(3);
    expect(all.registrations.map((r: { id: number }) => r.id)).toEqual(regs.map((r) => r.id));
    expect(
      (await list(`training_id=${training.id}&status=ATTENDED`)).registrations.map((r: { id: number }) => r.id),
    ).toEqual([regs[1].id]);
    const byUser = await list(`user_id=${users[2]?.user.id}`);
    expect(byUser.registrations.map((r: { id: number }) => r.id)).toEqual([regs[2].id]);
    const page = await list(`training_id=${training.id}&skip=1&limit=1`);
    expect(page).toMatchObject({ total: 3, skip: 1, limit: 1 });
    expect(page.registrations.map((r: { id: number }) => r.id)).toEqual([regs[1].id]);
  });

  it("answers 422 for an unknown status filter", async () => {
    await expectError(
      await send("GET", `${REGISTRATIONS}?status=LOST`, undefined, manager.token),
      422,
      "VALIDATION_ERROR",
    );
  });
});

describe("GET /registrations/{id}", () => {
  it("answers the owner and a manager", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    for (const token of [me.token, manager.token]) {
      const res = await send("GET", `${REGISTRATIONS}/${reg.id}`, undefined, token);
      expect(res.status).toBe(200);
      expect(await body(res)).toEqual({ registration: reg, message: "Registration retrieved successfully" });
    }
  });

  it("answers 404 to another employee", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    const stranger = await signedIn("EMPLOYEE");
    const json = await expectError(
      await send("GET", `${REGISTRATIONS}/${reg.id}`, undefined, stranger.token),
      404,
      "REGISTRATION_NOT_FOUND",
    );
    expect(json.detail).toBe(`Registration with id ${reg.id} not found`);
  });

  it("answers 404 for an unknown id", async () => {
    await expectError(
      await send("GET", `${REGISTRATIONS}/999999999`, undefined, manager.token),
      404,
      "REGISTRATION_NOT_FOUND",
    );
  });
});

describe("registration hardening (issue 19)", () => {
  it("does not name a training that went back to DRAFT among the overlaps (attack: reading unpublished titles)", async () => {
    const me = await signedIn("EMPLOYEE");
    const hidden = await createTraining(manager.token, {
      start_date: "2026-10-01T09:00:00Z",
      end_date: "2026-10-01T12:00:00Z",
    });
    await registered(me.token, hidden.id);
    const unpublish = await send("PUT", `/api/v1/trainings/${hidden.id}`, { status: "DRAFT" }, manager.token);
    expect(unpublish.status).toBe(200);
    const overlapping = await createTraining(manager.token, {
      start_date: "2026-10-01T10:00:00Z",
      end_date: "2026-10-01T11:00:00Z",
    });
    const json = await body(await registerAs(me.token, overlapping.id));
    expect(json.conflicts).toEqual([]);
    expect(JSON.stringify(json)).not.toContain(hidden.title);
  });

  it("lets only a manager cancel a registration marked ATTENDED (attack: an employee erasing its attendance record)", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    expect((await setStatus(reg.id, "ATTENDED")).status).toBe(200);
    await expectError(await send("DELETE", `${REGISTRATIONS}/${reg.id}`, undefined, me.token), 403, "FORBIDDEN");
    await expectError(await setStatus(reg.id, "CANCELLED", me.token), 403, "FORBIDDEN");
    const kept = await body(await send("GET", `${REGISTRATIONS}/${reg.id}`, undefined, me.token));
    expect(kept.registration.status).toBe("ATTENDED");
    expect((await setStatus(reg.id, "CANCELLED")).status).toBe(200);
  });
});

describe("PUT and PATCH /registrations/{id}", () => {
  it("moves REGISTERED → ATTENDED → COMPLETED for a manager, setting attended_at and completion_date", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    const attended = await setStatus(reg.id, "ATTENDED");
    expect(attended.status).toBe(200);
    const a = await body(attended);
    expect(a.message).toBe("Registration updated successfully");
    expect(a.registration).toMatchObject({ status: "ATTENDED", completion_date: null });
    expect(a.registration.attended_at >= reg.registered_at).toBe(true);
    const completed = await body(
      await send("PATCH", `${REGISTRATIONS}/${reg.id}`, { status: "COMPLETED" }, admin.token),
    );
    expect(completed.registration).toMatchObject({ status: "COMPLETED", attended_at: a.registration.attended_at });
    expect(completed.registration.completion_date >= a.registration.attended_at).toBe(true);
  });

  it("records registration.completed in the outbox when a registration is completed", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    await setStatus(reg.id, "ATTENDED");
    const done = await body(await setStatus(reg.id, "COMPLETED"));
    const rows = await env.DB.prepare(
      "SELECT payload FROM outbox_events WHERE event = 'registration.completed' AND json_extract(payload, '$.data.registration_id') = ?1",
    )
      .bind(reg.id)
      .all<{ payload: string }>();
    expect(rows.results).toHaveLength(1);
    expect(JSON.parse(rows.results[0]?.payload ?? "{}")).toEqual({
      event: "registration.completed",
      timestamp: done.registration.completion_date,
      data: {
        registration_id: reg.id,
        user_id: me.user.id,
        training_id: training.id,
        completion_date: done.registration.completion_date,
      },
    });
  });

  it.each([
    ["REGISTERED", "COMPLETED", []],
    ["CANCELLED", "ATTENDED", ["CANCELLED"]],
    ["CANCELLED", "REGISTERED", ["CANCELLED"]],
    ["COMPLETED", "CANCELLED", ["ATTENDED", "COMPLETED"]],
    ["COMPLETED", "ATTENDED", ["ATTENDED", "COMPLETED"]],
    ["ATTENDED", "REGISTERED", ["ATTENDED"]],
  ])("refuses a move from %s to %s with 409 INVALID_STATUS_TRANSITION", async (from, to, steps) => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    for (const step of steps) expect((await setStatus(reg.id, step)).status).toBe(200);
    const json = await expectError(await setStatus(reg.id, to), 409, "INVALID_STATUS_TRANSITION");
    expect(json.detail).toBe(`Registration ${reg.id} can't move from ${from} to ${to}`);
    expect(
      (await body(await send("GET", `${REGISTRATIONS}/${reg.id}`, undefined, manager.token))).registration.status,
    ).toBe(from);
  });

  it("refuses setting the status a registration already has with 409", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    await setStatus(reg.id, "ATTENDED");
    const json = await expectError(await setStatus(reg.id, "ATTENDED"), 409, "INVALID_STATUS_TRANSITION");
    expect(json.detail).toBe(`Registration ${reg.id} is already ATTENDED`);
  });

  it("accepts the status a registration already has when feedback comes with it", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    const attended = (await body(await setStatus(reg.id, "ATTENDED"))).registration;
    const res = await send("PUT", `${REGISTRATIONS}/${reg.id}`, { status: "ATTENDED", feedback_score: 3 }, me.token);
    expect(res.status).toBe(200);
    expect((await body(res)).registration).toMatchObject({ feedback_score: 3, attended_at: attended.attended_at });
  });

  it("refuses the owner marking attendance (403)", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    const json = await expectError(await setStatus(reg.id, "ATTENDED", me.token), 403, "FORBIDDEN");
    expect(json.detail).toBe("Only registration managers can mark a registration ATTENDED");
  });

  it("lets the owner cancel, setting cancelled_at", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    const res = await setStatus(reg.id, "CANCELLED", me.token);
    expect(res.status).toBe(200);
    const cancelled = (await body(res)).registration;
    expect(cancelled.status).toBe("CANCELLED");
    expect(cancelled.cancelled_at).toMatch(/Z$/);
  });

  it("refuses feedback before attendance (409 FEEDBACK_NOT_ALLOWED)", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    const path = `${REGISTRATIONS}/${reg.id}`;
    const early = await expectError(
      await send("PUT", path, { feedback_score: 4 }, me.token),
      409,
      "FEEDBACK_NOT_ALLOWED",
    );
    expect(early.detail).toBe("Feedback can only be given on an attended or completed registration (it is REGISTERED)");
  });

  /** A registration of a new employee, marked ATTENDED by the manager. */
  async function attendedRegistration() {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    await setStatus(reg.id, "ATTENDED");
    return { me, path: `${REGISTRATIONS}/${reg.id}` };
  }

  it("refuses feedback scores other than 1..5 with 422", async () => {
    const { me, path } = await attendedRegistration();
    for (const score of [0, 6, 3.5, "5", null]) {
      await expectError(await send("PUT", path, { feedback_score: score }, me.token), 422, "VALIDATION_ERROR");
    }
  });

  it("takes feedback 1..5 from the owner once attended", async () => {
    const { me, path } = await attendedRegistration();
    const res = await send("PATCH", path, { feedback_score: 5 }, me.token);
    expect(res.status).toBe(200);
    expect((await body(res)).registration).toMatchObject({ status: "ATTENDED", feedback_score: 5 });
  });

  it("takes a status and feedback in one update", async () => {
    const { path } = await attendedRegistration();
    const both = await body(await send("PUT", path, { status: "COMPLETED", feedback_score: 2 }, manager.token));
    expect(both.registration).toMatchObject({ status: "COMPLETED", feedback_score: 2 });
  });

  it("answers 422 for an empty body", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    const path = `${REGISTRATIONS}/${reg.id}`;
    const empty = await expectError(await send("PUT", path, {}, me.token), 422, "VALIDATION_ERROR");
    expect(empty.detail[0].msg).toBe("Give status or feedback_score");
  });

  it("answers 422 for an unknown status", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    const path = `${REGISTRATIONS}/${reg.id}`;
    await expectError(await send("PUT", path, { status: "DONE" }, me.token), 422, "VALIDATION_ERROR");
  });

  it("answers 404 for someone else's registration and leaves it alone", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    const path = `${REGISTRATIONS}/${reg.id}`;
    const stranger = await signedIn("EMPLOYEE");
    await expectError(await setStatus(reg.id, "CANCELLED", stranger.token), 404, "REGISTRATION_NOT_FOUND");
    expect((await send("GET", path, undefined, me.token)).status).toBe(200);
  });

  it("lets only one of ten concurrent completions win, recording the event once", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    await setStatus(reg.id, "ATTENDED");
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => setStatus(reg.id, "COMPLETED", i % 2 ? admin.token : manager.token)),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(9);
    for (const loser of responses.filter((r) => r.status === 409)) {
      expect((await body(loser)).code).toBe("INVALID_STATUS_TRANSITION");
    }
    const events = await env.DB.prepare(
      "SELECT count(*) AS n FROM outbox_events WHERE event = 'registration.completed' AND json_extract(payload, '$.data.registration_id') = ?1",
    )
      .bind(reg.id)
      .first<{ n: number }>();
    expect(events?.n).toBe(1);
  });
});

describe("DELETE /registrations/{id}", () => {
  it("cancels the caller's registration and keeps the row", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    const res = await send("DELETE", `${REGISTRATIONS}/${reg.id}`, undefined, me.token);
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({ message: "Registration cancelled successfully" });
    const after = await body(await send("GET", `${REGISTRATIONS}/${reg.id}`, undefined, me.token));
    expect(after.registration.status).toBe("CANCELLED");
  });

  it("refuses cancelling an already cancelled registration (409)", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    await send("DELETE", `${REGISTRATIONS}/${reg.id}`, undefined, me.token);
    const again = await expectError(
      await send("DELETE", `${REGISTRATIONS}/${reg.id}`, undefined, me.token),
      409,
      "INVALID_STATUS_TRANSITION",
    );
    expect(again.detail).toBe(`Registration ${reg.id} is already CANCELLED`);
  });

  it("hides others' registrations from employees (404)", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    const stranger = await signedIn("EMPLOYEE");
    await expectError(
      await send("DELETE", `${REGISTRATIONS}/${reg.id}`, undefined, stranger.token),
      404,
      "REGISTRATION_NOT_FOUND",
    );
  });

  it("lets a manager cancel anyone's", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    expect((await send("DELETE", `${REGISTRATIONS}/${reg.id}`, undefined, manager.token)).status).toBe(200);
  });

  it("refuses cancelling a completed registration (409)", async () => {
    const training = await createTraining(manager.token);
    const stranger = await signedIn("EMPLOYEE");
    const done = await registered(stranger.token, training.id);
    await setStatus(done.id, "ATTENDED");
    await setStatus(done.id, "COMPLETED");
    await expectError(
      await send("DELETE", `${REGISTRATIONS}/${done.id}`, undefined, stranger.token),
      409,
      "INVALID_STATUS_TRANSITION",
    );
  });
});

describe("GET /trainings/{id}/registrations", () => {
  it("lists a training's registrations to a registration manager, filtered by status", async () => {
    const training = await createTraining(manager.token);
    const a = await signedIn("EMPLOYEE");
    const b = await signedIn("EMPLOYEE");
    const regA = await registered(a.token, training.id);
    const regB = await registered(b.token, training.id);
    await send("DELETE", `${REGISTRATIONS}/${regB.id}`, undefined, b.token);
    const path = `/api/v1/trainings/${training.id}/registrations`;
    const all = await body(await send("GET", path, undefined, manager.token));
    expect(all).toMatchObject({ total: 2, skip: 0, limit: 100 });
    expect(all.registrations.map((r: { id: number }) => r.id)).toEqual([regA.id, regB.id]);
    const active = await body(await send("GET", `${path}?status=REGISTERED&limit=5`, undefined, manager.token));
    expect(active).toEqual({ registrations: [regA], total: 1, skip: 0, limit: 5 });
  });

  it("answers 403 to an employee", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    await expectError(
      await send("GET", `/api/v1/trainings/${training.id}/registrations`, undefined, me.token),
      403,
      "FORBIDDEN",
    );
  });

  it("answers 404 for an unknown training", async () => {
    await expectError(
      await send("GET", "/api/v1/trainings/999999999/registrations", undefined, manager.token),
      404,
      "TRAINING_NOT_FOUND",
    );
  });
});

/** The auth context `authenticate()` would build for a user holding one system role. */
const authAs = (userId: number, role: SystemRole): AuthContext => ({
  userId,
  username: `user${userId}`,
  sessionId: "test",
  sessionCreatedAt: new Date().toISOString(),
  roles: [role],
  permissions: new Set(SYSTEM_ROLE_PERMISSIONS[role]),
  orgPermissions: new Map(),
  memberOrgIds: [],
  adminOrgIds: [],
  via: "bearer",
});

/**
 * D1 whose first `batch()` lets a competing write commit just before it: the worst interleaving of
 * two requests, made deterministic (local D1 happens to run concurrent requests one after another).
 */
function racing(d1: D1Database, competitor: () => Promise<unknown>): D1Database {
  let raced = false;
  return new Proxy(d1, {
    get(target, prop) {
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          if (!raced) {
            raced = true;
            await competitor();
          }
          return target.batch(statements);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("atomicity when another request commits in between", () => {
  it("refuses the registration when the last seat is taken between the caller's checks and its insert", async () => {
    const training = await createTraining(manager.token, { max_participants: 1 });
    const me = await createUser();
    const rival = await createUser();
    const d1 = racing(env.DB, () =>
      env.DB.prepare("INSERT INTO registrations (user_id, training_id) VALUES (?1, ?2)")
        .bind(rival.id, training.id)
        .run(),
    );
    const attempt = register(depsOf({ ...env, DB: d1 }, systemClock), authAs(me.id, "EMPLOYEE"), {
      training_id: training.id,
    });
    await expect(attempt).rejects.toMatchObject({ status: 409, code: "TRAINING_FULL" });
    expect(await activeCount(training.id)).toBe(1);
  });

  it("refuses a completion when the registration was cancelled in between, recording no event", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const reg = await registered(me.token, training.id);
    await setStatus(reg.id, "ATTENDED");
    const d1 = racing(env.DB, () =>
      env.DB.prepare("UPDATE registrations SET status = 'CANCELLED' WHERE id = ?1").bind(reg.id).run(),
    );
    const auth = authAs(manager.user.id, "KNOWLEDGE_MANAGER");
    const attempt = updateRegistration(
      depsOf({ ...env, DB: d1 }, systemClock),
      auth,
      scopeOf(auth, "registrations:manage"),
      reg.id,
      { status: "COMPLETED" },
    );
    await expect(attempt).rejects.toMatchObject({ status: 409, code: "INVALID_STATUS_TRANSITION" });
    const row = await env.DB.prepare(
      `SELECT status, completion_date,
         (SELECT count(*) FROM outbox_events WHERE event = 'registration.completed'
            AND json_extract(payload, '$.data.registration_id') = ?1) AS events
       FROM registrations WHERE id = ?1`,
    )
      .bind(reg.id)
      .first();
    expect(row).toEqual({ status: "CANCELLED", completion_date: null, events: 0 });
  });
});

describe("documentation", () => {
  it("documents every registration operation in /openapi.json", async () => {
    const doc = await body(await send("GET", "/openapi.json"));
    expect(Object.keys(doc.paths["/api/v1/registrations"])).toEqual(["post", "get"]);
    expect(Object.keys(doc.paths["/api/v1/registrations/{id}"])).toEqual(["get", "put", "patch", "delete"]);
    expect(Object.keys(doc.paths["/api/v1/trainings/{id}/registrations"])).toEqual(["get"]);
    expect(doc.components.schemas.CreatedRegistration.properties.conflicts.type).toBe("array");
  });
});

describe("POST /trainings/{id}/register (OpenKMS clients)", () => {
  const registerVia = (token: string | undefined, trainingId: number, payload?: unknown) =>
    send("POST", `/api/v1/trainings/${trainingId}/register`, payload, token);

  it("registers the caller without a body, as POST /registrations {training_id} does (201, same body)", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    const res = await registerVia(me.token, training.id);
    expect(res.status).toBe(201);
    const json = await body(res);
    expect(json).toEqual({
      registration: expect.objectContaining({ user_id: me.user.id, training_id: training.id, status: "REGISTERED" }),
      message: "Registration successful",
      conflicts: [],
    });
    expect(Object.keys(json.registration).sort()).toEqual(
      Object.keys((await body(await registerAs(manager.token, training.id))).registration).sort(),
    );
    expect(await activeCount(training.id)).toBe(2);
  });

  it("gives the same refusals: 409 ALREADY_REGISTERED, whichever path registered first", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    await registered(me.token, training.id);
    await expectError(await registerVia(me.token, training.id, {}), 409, "ALREADY_REGISTERED");
  });

  it("answers 404 TRAINING_NOT_FOUND for an unknown training", async () => {
    const me = await signedIn("EMPLOYEE");
    await expectError(await registerVia(me.token, 99_999_999), 404, "TRAINING_NOT_FOUND");
  });

  it("lets a registration manager name user_id, and refuses it to others (403)", async () => {
    const training = await createTraining(manager.token);
    const learner = await createUser();
    const res = await registerVia(manager.token, training.id, { user_id: learner.id });
    expect(res.status).toBe(201);
    expect((await body(res)).registration.user_id).toBe(learner.id);
    const me = await signedIn("EMPLOYEE");
    const other = await createUser();
    await expectError(await registerVia(me.token, training.id, { user_id: other.id }), 403, "FORBIDDEN");
  });

  it("answers 401 without credentials and 403 without registrations:create", async () => {
    const training = await createTraining(manager.token);
    await expectError(await registerVia(undefined, training.id), 401, "UNAUTHORIZED");
    const integration = await signedIn("API");
    await expectError(await registerVia(integration.token, training.id), 403, "FORBIDDEN");
  });

  it("refuses a training_id in the body (422: the path names the training)", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    await expectError(await registerVia(me.token, training.id, { training_id: training.id }), 422, "VALIDATION_ERROR");
  });
});

describe("GET /users/me/registrations", () => {
  const MINE = "/api/v1/users/me/registrations";

  it("lists only the caller's registrations in the list envelope, not shadowed by /users/{id}", async () => {
    const [a, b] = [await createTraining(manager.token), await createTraining(manager.token)];
    const me = await signedIn("EMPLOYEE");
    const someoneElse = await signedIn("EMPLOYEE");
    const first = await registered(me.token, a.id);
    const second = await registered(me.token, b.id);
    await registered(someoneElse.token, a.id);
    const res = await send("GET", MINE, undefined, me.token);
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({ registrations: [first, second], total: 2, skip: 0, limit: 100 });
  });

  it("pages and filters by training_id and status", async () => {
    const [a, b] = [await createTraining(manager.token), await createTraining(manager.token)];
    const me = await signedIn("EMPLOYEE");
    const first = await registered(me.token, a.id);
    const second = await registered(me.token, b.id);
    await setStatus(second.id, "CANCELLED", me.token);
    const page = await body(await send("GET", `${MINE}?skip=1&limit=1`, undefined, me.token));
    expect(page).toMatchObject({ total: 2, skip: 1, limit: 1, registrations: [{ id: second.id }] });
    const byTraining = await body(await send("GET", `${MINE}?training_id=${a.id}`, undefined, me.token));
    expect(byTraining.registrations.map((r: { id: number }) => r.id)).toEqual([first.id]);
    const cancelled = await body(await send("GET", `${MINE}?status=CANCELLED`, undefined, me.token));
    expect(cancelled.registrations.map((r: { id: number }) => r.id)).toEqual([second.id]);
  });

  it("shows a registration manager its own registrations only, not everyone's", async () => {
    const training = await createTraining(manager.token);
    const me = await signedIn("EMPLOYEE");
    await registered(me.token, training.id);
    const json = await body(await send("GET", `${MINE}?training_id=${training.id}`, undefined, admin.token));
    expect(json).toMatchObject({ total: 0, registrations: [] });
  });

  it("refuses an unknown status (422) and answers 401 without credentials", async () => {
    const me = await signedIn("EMPLOYEE");
    await expectError(await send("GET", `${MINE}?status=LOST`, undefined, me.token), 422, "VALIDATION_ERROR");
    await expectError(await send("GET", MINE), 401, "UNAUTHORIZED");
  });
});
