import { describe, expect, it } from "vitest";
import { createTraining, createUser, signedIn } from "./factories";
import { body, env, expectError, send, unique } from "./helpers";

const TRAININGS = "/api/v1/trainings";

const manager = await signedIn("KNOWLEDGE_MANAGER");
const admin = await signedIn("ADMIN");
const employee = await signedIn("EMPLOYEE");

describe("POST /trainings", () => {
  it("creates a training (201) with every contract field and records training.created in the outbox", async () => {
    const title = unique("Secure Coding ");
    const res = await send(
      "POST",
      TRAININGS,
      {
        title,
        description: "OWASP top ten",
        category: "TECHNICAL",
        level: "INTERMEDIATE",
        status: "PUBLISHED",
        duration_minutes: 180,
        credits: 3,
        instructor_id: manager.user.id,
        max_participants: 30,
        start_date: "2026-05-04T11:00:00+02:00",
        end_date: "2026-05-04T14:00:00+02:00",
        location: "Room 4.12",
      },
      manager.token,
    );
    expect(res.status).toBe(201);
    const json = await body(res);
    expect(json.message).toBe("Training created successfully");
    expect(json.training).toEqual({
      id: expect.any(Number),
      title,
      description: "OWASP top ten",
      category: "TECHNICAL",
      level: "INTERMEDIATE",
      status: "PUBLISHED",
      duration_minutes: 180,
      credits: 3,
      instructor_id: manager.user.id,
      max_participants: 30,
      start_date: "2026-05-04T09:00:00.000Z",
      end_date: "2026-05-04T12:00:00.000Z",
      location: "Room 4.12",
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updated_at: expect.stringMatching(/Z$/),
    });
    const rows = await env.DB.prepare(
      "SELECT payload FROM outbox_events WHERE event = 'training.created' AND json_extract(payload, '$.data.training_id') = ?1",
    )
      .bind(json.training.id)
      .all<{ payload: string }>();
    expect(rows.results).toHaveLength(1);
    expect(JSON.parse(rows.results[0]?.payload ?? "{}")).toMatchObject({
      event: "training.created",
      timestamp: expect.stringMatching(/Z$/),
      data: { training_id: json.training.id, title, created_by: manager.user.id },
    });
  });

  it("defaults to a DRAFT with null optional fields", async () => {
    const res = await send(
      "POST",
      TRAININGS,
      { title: unique("T"), category: "LEADERSHIP", level: "ADVANCED" },
      admin.token,
    );
    expect(res.status).toBe(201);
    expect((await body(res)).training).toMatchObject({
      status: "DRAFT",
      description: null,
      duration_minutes: null,
      credits: null,
      instructor_id: null,
      max_participants: null,
      start_date: null,
      end_date: null,
      location: null,
    });
  });

  it("refuses an employee with 403", async () => {
    const payload = { title: unique("T"), category: "SECURITY", level: "BEGINNER" };
    await expectError(await send("POST", TRAININGS, payload, employee.token), 403, "FORBIDDEN");
  });

  it("refuses an anonymous caller with 401", async () => {
    const payload = { title: unique("T"), category: "SECURITY", level: "BEGINNER" };
    await expectError(await send("POST", TRAININGS, payload), 401, "UNAUTHORIZED");
  });

  it.each([
    ["a missing title", { title: undefined }, ["body", "title"]],
    ["an unknown category", { category: "COOKING" }, ["body", "category"]],
    ["an unknown level", { level: "EXPERT" }, ["body", "level"]],
    ["a zero duration", { duration_minutes: 0 }, ["body", "duration_minutes"]],
    ["negative credits", { credits: -1 }, ["body", "credits"]],
    ["zero seats", { max_participants: 0 }, ["body", "max_participants"]],
    ["a fractional seat count", { max_participants: 2.5 }, ["body", "max_participants"]],
    ["a title over 200 characters", { title: "x".repeat(201) }, ["body", "title"]],
    ["a location over 200 characters", { location: "x".repeat(201) }, ["body", "location"]],
    ["a description over 5000 characters", { description: "x".repeat(5001) }, ["body", "description"]],
    ["a malformed start_date", { start_date: "next tuesday" }, ["body", "start_date"]],
    ["an impossible end_date", { start_date: "2026-02-01", end_date: "2026-02-30" }, ["body", "end_date"]],
    ["an unknown field", { colour: "red" }, ["body", "colour"]],
  ])("answers 422 VALIDATION_ERROR for %s", async (_name, overrides, loc) => {
    const payload = { title: unique("T"), category: "SECURITY", level: "BEGINNER", ...overrides };
    const json = await expectError(await send("POST", TRAININGS, payload, manager.token), 422, "VALIDATION_ERROR");
    expect(json.detail).toEqual(expect.arrayContaining([expect.objectContaining({ loc })]));
  });

  it("explains what a date must look like", async () => {
    const payload = { title: unique("T"), category: "SECURITY", level: "BEGINNER", start_date: "03/02/2026" };
    const json = await expectError(await send("POST", TRAININGS, payload, manager.token), 422, "VALIDATION_ERROR");
    expect(json.detail[0].msg).toBe(
      "Expected an ISO 8601 date-time such as 2026-03-02T09:00:00Z, or a date such as 2026-03-02",
    );
  });

  it("reads a date-time without an offset as UTC, with or without fractional seconds, and answers with Z", async () => {
    const payload = {
      title: unique("T"),
      category: "SECURITY",
      level: "BEGINNER",
      start_date: "2024-01-15T09:00:00",
      end_date: "2024-01-15T17:30:00.25",
    };
    const res = await send("POST", TRAININGS, payload, manager.token);
    expect(res.status).toBe(201);
    const { training } = await body(res);
    expect(training).toMatchObject({ start_date: "2024-01-15T09:00:00.000Z", end_date: "2024-01-15T17:30:00.250Z" });
    const stored = await env.DB.prepare("SELECT start_date, end_date FROM trainings WHERE id = ?1")
      .bind(training.id)
      .first();
    expect(stored).toEqual({ start_date: "2024-01-15T09:00:00.000Z", end_date: "2024-01-15T17:30:00.250Z" });
    const updated = await send(
      "PATCH",
      `${TRAININGS}/${training.id}`,
      { end_date: "2024-01-15T18:00:00.123456" },
      manager.token,
    );
    expect((await body(updated)).training.end_date).toBe("2024-01-15T18:00:00.123Z");
  });

  it("still refuses an impossible date-time without an offset (422)", async () => {
    const payload = { title: unique("T"), category: "SECURITY", level: "BEGINNER", start_date: "2024-02-30T09:00:00" };
    const json = await expectError(await send("POST", TRAININGS, payload, manager.token), 422, "VALIDATION_ERROR");
    expect(json.detail[0]).toMatchObject({ loc: ["body", "start_date"] });
  });

  it("answers 422 when end_date is not after start_date", async () => {
    const base = { title: unique("T"), category: "SECURITY", level: "BEGINNER" };
    const before = await send(
      "POST",
      TRAININGS,
      { ...base, start_date: "2026-05-04T10:00:00Z", end_date: "2026-05-04T09:00:00Z" },
      manager.token,
    );
    const json = await expectError(before, 422, "VALIDATION_ERROR");
    expect(json.detail).toEqual([
      { loc: ["body", "end_date"], msg: "end_date must be after start_date", type: "value_error" },
    ]);
    const equal = { ...base, start_date: "2026-05-04T10:00:00Z", end_date: "2026-05-04T10:00:00Z" };
    await expectError(await send("POST", TRAININGS, equal, manager.token), 422, "VALIDATION_ERROR");
  });

  it("answers 422 when end_date is given without start_date", async () => {
    const base = { title: unique("T"), category: "SECURITY", level: "BEGINNER" };
    const alone = await send("POST", TRAININGS, { ...base, end_date: "2026-05-04T10:00:00Z" }, manager.token);
    expect((await expectError(alone, 422, "VALIDATION_ERROR")).detail[0].msg).toBe("end_date needs a start_date");
  });

  it("answers 404 USER_NOT_FOUND for an unknown or deactivated instructor, creating nothing", async () => {
    const title = unique("NoInstructor");
    const base = { title, category: "SECURITY", level: "BEGINNER" };
    const json = await expectError(
      await send("POST", TRAININGS, { ...base, instructor_id: 999_999_999 }, manager.token),
      404,
      "USER_NOT_FOUND",
    );
    expect(json.detail).toBe("User with id 999999999 not found");
    const inactive = await createUser({ isActive: false });
    await expectError(
      await send("POST", TRAININGS, { ...base, instructor_id: inactive.id }, manager.token),
      404,
      "USER_NOT_FOUND",
    );
    const count = await env.DB.prepare("SELECT count(*) AS n FROM trainings WHERE title = ?1").bind(title).first();
    expect(count?.n).toBe(0);
  });
});

describe("GET /trainings", () => {
  it("pages through matches with skip, offset and limit in the {trainings, total, skip, limit} envelope", async () => {
    const tag = unique("page");
    const created = [];
    for (let i = 0; i < 3; i++) created.push(await createTraining(manager.token, { title: `${tag} ${i}` }));
    const all = await body(await send("GET", `${TRAININGS}?search=${tag}`, undefined, employee.token));
    expect(all).toEqual({ trainings: expect.any(Array), total: 3, skip: 0, limit: 100 });
    expect(all.trainings.map((t: { id: number }) => t.id)).toEqual(created.map((t) => t.id));
    // A row of the list is the training as GET /trainings/{id} answers it, field for field, in order.
    const one = await body(await send("GET", `${TRAININGS}/${created[0].id}`, undefined, employee.token));
    expect(JSON.stringify(all.trainings[0])).toBe(JSON.stringify(one.training ?? one));
    const first = await body(await send("GET", `${TRAININGS}?search=${tag}&limit=2`, undefined, employee.token));
    expect(first).toMatchObject({ total: 3, skip: 0, limit: 2 });
    expect(first.trainings.map((t: { id: number }) => t.id)).toEqual([created[0].id, created[1].id]);
    const rest = await body(await send("GET", `${TRAININGS}?search=${tag}&skip=2&limit=2`, undefined, employee.token));
    expect(rest).toMatchObject({ total: 3, skip: 2, limit: 2 });
    expect(rest.trainings.map((t: { id: number }) => t.id)).toEqual([created[2].id]);
    const offset = await body(await send("GET", `${TRAININGS}/?search=${tag}&offset=1`, undefined, employee.token));
    expect(offset).toMatchObject({ total: 3, skip: 1 });
    expect(offset.trainings).toHaveLength(2);
  });

  it("searches the title and the description, case-insensitively, with % and _ taken literally", async () => {
    const tag = unique("srch");
    const inTitle = await createTraining(manager.token, { title: `About ${tag.toUpperCase()}` });
    const inDescription = await createTraining(manager.token, { description: `covers ${tag} in depth` });
    await createTraining(manager.token, { title: `${tag.slice(0, -1)}_ near miss` });
    const json = await body(await send("GET", `${TRAININGS}?search=${tag}`, undefined, employee.token));
    expect(json.trainings.map((t: { id: number }) => t.id)).toEqual([inTitle.id, inDescription.id]);
    const pct = await body(await send("GET", `${TRAININGS}?search=${tag}%25`, undefined, employee.token));
    expect(pct.total).toBe(0);
  });

  it("filters by category, level, status and instructor_id", async () => {
    const tag = unique("flt");
    const instructor = await createUser();
    const a = await createTraining(manager.token, { title: `${tag} a`, category: "COMPLIANCE", level: "ADVANCED" });
    const b = await createTraining(manager.token, { title: `${tag} b`, category: "COMPLIANCE", level: "BEGINNER" });
    const c = await createTraining(manager.token, { title: `${tag} c`, instructor_id: instructor.id });
    const d = await createTraining(manager.token, { title: `${tag} d`, status: "DRAFT" });
    const ids = async (q: string) =>
      (await body(await send("GET", `${TRAININGS}?search=${tag}&${q}`, undefined, manager.token))).trainings.map(
        (t: { id: number }) => t.id,
      );
    expect(await ids("category=COMPLIANCE")).toEqual([a.id, b.id]);
    expect(await ids("category=COMPLIANCE&level=BEGINNER")).toEqual([b.id]);
    // The same filters with other values (one prepared query per combination of filters, reused).
    expect(await ids("level=ADVANCED&category=COMPLIANCE")).toEqual([a.id]);
    expect(await ids(`instructor_id=${instructor.id}`)).toEqual([c.id]);
    expect(await ids("status=DRAFT")).toEqual([d.id]);
    expect(await ids("status=PUBLISHED")).toEqual([a.id, b.id, c.id]);
  });

  it("lists drafts only to those who may manage trainings", async () => {
    const tag = unique("vis");
    const published = await createTraining(manager.token, { title: `${tag} pub` });
    const draft = await createTraining(manager.token, { title: `${tag} draft`, status: "DRAFT" });
    const forEmployee = await body(await send("GET", `${TRAININGS}?search=${tag}`, undefined, employee.token));
    expect(forEmployee.trainings.map((t: { id: number }) => t.id)).toEqual([published.id]);
    expect(forEmployee.total).toBe(1);
    const askedDrafts = await body(
      await send("GET", `${TRAININGS}?search=${tag}&status=DRAFT`, undefined, employee.token),
    );
    expect(askedDrafts).toMatchObject({ trainings: [], total: 0 });
    const forManager = await body(await send("GET", `${TRAININGS}?search=${tag}`, undefined, manager.token));
    expect(forManager.trainings.map((t: { id: number }) => t.id)).toEqual([published.id, draft.id]);
  });

  it("answers 401 without credentials and 422 for bad query values", async () => {
    await expectError(await send("GET", TRAININGS), 401, "UNAUTHORIZED");
    for (const q of [
      "limit=0",
      "limit=1001",
      "skip=-1",
      "category=COOKING",
      "instructor_id=abc",
      `search=${"x".repeat(201)}`,
    ]) {
      await expectError(await send("GET", `${TRAININGS}?${q}`, undefined, employee.token), 422, "VALIDATION_ERROR");
    }
  });
});

describe("GET /trainings/{id}", () => {
  it("answers a published training to an employee", async () => {
    const training = await createTraining(manager.token);
    const res = await send("GET", `${TRAININGS}/${training.id}`, undefined, employee.token);
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({ training, message: "Training retrieved successfully" });
  });

  it("hides a draft from an employee exactly like a missing id", async () => {
    const draft = await createTraining(manager.token, { status: "DRAFT" });
    const hidden = await expectError(
      await send("GET", `${TRAININGS}/${draft.id}`, undefined, employee.token),
      404,
      "TRAINING_NOT_FOUND",
    );
    expect(hidden).toEqual({
      detail: `Training with id ${draft.id} not found`,
      status: "error",
      code: "TRAINING_NOT_FOUND",
    });
    const missing = await expectError(
      await send("GET", `${TRAININGS}/999999999`, undefined, employee.token),
      404,
      "TRAINING_NOT_FOUND",
    );
    expect(missing.detail).toBe("Training with id 999999999 not found");
  });

  it("shows a draft to a manager", async () => {
    const draft = await createTraining(manager.token, { status: "DRAFT" });
    const shown = await send("GET", `${TRAININGS}/${draft.id}`, undefined, manager.token);
    expect(shown.status).toBe(200);
    expect((await body(shown)).training.status).toBe("DRAFT");
  });

  it("answers 422 for an id that is not a positive integer", async () => {
    await expectError(await send("GET", `${TRAININGS}/abc`, undefined, employee.token), 422, "VALIDATION_ERROR");
    await expectError(await send("GET", `${TRAININGS}/0`, undefined, employee.token), 422, "VALIDATION_ERROR");
  });
});

describe("PUT and PATCH /trainings/{id}", () => {
  it("updates only the given fields and moves updated_at", async () => {
    const training = await createTraining(manager.token, { description: "old", credits: 1 });
    await new Promise((r) => setTimeout(r, 5));
    const res = await send("PUT", `${TRAININGS}/${training.id}`, { title: "Renamed", credits: 4 }, manager.token);
    expect(res.status).toBe(200);
    const json = await body(res);
    expect(json.message).toBe("Training updated successfully");
    expect(json.training).toEqual({
      ...training,
      title: "Renamed",
      credits: 4,
      updated_at: expect.any(String),
    });
    expect(json.training.updated_at > training.updated_at).toBe(true);
  });

  it("accepts PATCH like PUT, and null clears an optional field", async () => {
    const training = await createTraining(manager.token, { location: "Room 1", max_participants: 10 });
    const res = await send(
      "PATCH",
      `${TRAININGS}/${training.id}`,
      { location: null, max_participants: null },
      admin.token,
    );
    expect(res.status).toBe(200);
    expect((await body(res)).training).toMatchObject({ location: null, max_participants: null });
  });

  /** The path of a new training held 2026-06-01 09:00–12:00. */
  async function datedTraining() {
    const training = await createTraining(manager.token, {
      start_date: "2026-06-01T09:00:00Z",
      end_date: "2026-06-01T12:00:00Z",
    });
    return `${TRAININGS}/${training.id}`;
  }

  it("checks the date order against the stored dates", async () => {
    const path = await datedTraining();
    await expectError(
      await send("PUT", path, { end_date: "2026-06-01T08:00:00Z" }, manager.token),
      422,
      "VALIDATION_ERROR",
    );
    await expectError(
      await send("PUT", path, { start_date: "2026-06-01T13:00:00Z" }, manager.token),
      422,
      "VALIDATION_ERROR",
    );
    await expectError(await send("PUT", path, { start_date: null }, manager.token), 422, "VALIDATION_ERROR");
  });

  it("moves both dates in one update", async () => {
    const path = await datedTraining();
    const moved = await send(
      "PUT",
      path,
      { start_date: "2026-06-02T09:00:00Z", end_date: "2026-06-02T10:00:00Z" },
      manager.token,
    );
    expect((await body(moved)).training).toMatchObject({
      start_date: "2026-06-02T09:00:00.000Z",
      end_date: "2026-06-02T10:00:00.000Z",
    });
  });

  /** The path of a training with 5 seats, 2 of them taken. */
  async function trainingWithTwoRegistrations() {
    const training = await createTraining(manager.token, { max_participants: 5 });
    for (const role of ["EMPLOYEE", "EMPLOYEE"] as const) {
      const u = await signedIn(role);
      expect((await send("POST", "/api/v1/registrations", { training_id: training.id }, u.token)).status).toBe(201);
    }
    return `${TRAININGS}/${training.id}`;
  }

  it("refuses lowering max_participants below the active registrations with 409", async () => {
    const path = await trainingWithTwoRegistrations();
    const json = await expectError(
      await send("PUT", path, { max_participants: 1 }, manager.token),
      409,
      "MAX_PARTICIPANTS_BELOW_REGISTRATIONS",
    );
    expect(json.detail).toContain("2 active registrations");
  });

  it("accepts lowering max_participants to the active registrations", async () => {
    const path = await trainingWithTwoRegistrations();
    const ok = await send("PUT", path, { max_participants: 2 }, manager.token);
    expect((await body(ok)).training.max_participants).toBe(2);
  });

  it("answers 404 for an unknown training", async () => {
    await expectError(
      await send("PUT", `${TRAININGS}/999999999`, { title: "x" }, manager.token),
      404,
      "TRAINING_NOT_FOUND",
    );
  });

  it("answers 404 for an unknown instructor", async () => {
    const training = await createTraining(manager.token);
    const path = `${TRAININGS}/${training.id}`;
    await expectError(await send("PUT", path, { instructor_id: 999_999_999 }, manager.token), 404, "USER_NOT_FOUND");
  });

  it("refuses an employee with 403", async () => {
    const training = await createTraining(manager.token);
    const path = `${TRAININGS}/${training.id}`;
    await expectError(await send("PUT", path, { title: "x" }, employee.token), 403, "FORBIDDEN");
  });

  it("answers 422 for an empty body", async () => {
    const training = await createTraining(manager.token);
    const path = `${TRAININGS}/${training.id}`;
    const empty = await expectError(await send("PATCH", path, {}, manager.token), 422, "VALIDATION_ERROR");
    expect(empty.detail[0].msg).toBe("Give at least one field to update");
  });

  it("answers 422 for an unknown status", async () => {
    const training = await createTraining(manager.token);
    const path = `${TRAININGS}/${training.id}`;
    await expectError(await send("PATCH", path, { status: "ARCHIVED" }, manager.token), 422, "VALIDATION_ERROR");
  });
});

describe("DELETE /trainings/{id}", () => {
  it("deletes a training without registrations", async () => {
    const training = await createTraining(manager.token);
    const res = await send("DELETE", `${TRAININGS}/${training.id}`, undefined, manager.token);
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({ message: "Training deleted successfully" });
    await expectError(
      await send("GET", `${TRAININGS}/${training.id}`, undefined, manager.token),
      404,
      "TRAINING_NOT_FOUND",
    );
  });

  it("refuses with 409 TRAINING_HAS_REGISTRATIONS while registrations exist, cancelled ones included", async () => {
    const training = await createTraining(manager.token);
    const reg = await body(await send("POST", "/api/v1/registrations", { training_id: training.id }, employee.token));
    expect(
      (await send("DELETE", `/api/v1/registrations/${reg.registration.id}`, undefined, employee.token)).status,
    ).toBe(200);
    const json = await expectError(
      await send("DELETE", `${TRAININGS}/${training.id}`, undefined, manager.token),
      409,
      "TRAINING_HAS_REGISTRATIONS",
    );
    expect(json.detail).toBe(
      `Training ${training.id} has 1 registration(s) and can't be deleted; set its status to DRAFT instead`,
    );
    expect((await send("GET", `${TRAININGS}/${training.id}`, undefined, manager.token)).status).toBe(200);
  });

  it("answers 404 for an unknown training", async () => {
    await expectError(
      await send("DELETE", `${TRAININGS}/999999999`, undefined, manager.token),
      404,
      "TRAINING_NOT_FOUND",
    );
  });

  it("refuses an employee with 403", async () => {
    const training = await createTraining(manager.token);
    await expectError(await send("DELETE", `${TRAININGS}/${training.id}`, undefined, employee.token), 403, "FORBIDDEN");
  });
});

describe("documentation", () => {
  it("documents every training operation with its security requirement in /openapi.json", async () => {
    const doc = await body(await send("GET", "/openapi.json"));
    expect(Object.keys(doc.paths["/api/v1/trainings"])).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/api/v1/trainings/{id}"])).toEqual(["get", "put", "patch", "delete"]);
    expect(doc.paths["/api/v1/trainings"].post.security).toEqual([{ bearerAuth: [] }, { cookieAuth: [] }]);
    expect(Object.keys(doc.paths["/api/v1/trainings/{id}"].delete.responses)).toEqual(
      expect.arrayContaining(["200", "401", "403", "404", "409"]),
    );
    expect(doc.components.schemas.CreateTraining.required).toEqual(["title", "category", "level"]);
  });

  it("answers 405 with Allow for a method the training paths don't have", async () => {
    const res = await send("POST", `${TRAININGS}/1`, {}, manager.token);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")?.split(", ").sort()).toEqual(["DELETE", "GET", "HEAD", "PATCH", "PUT"]);
  });
});
