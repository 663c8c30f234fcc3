import { describe, expect, it } from "vitest";
import { createUser, signedIn } from "./factories";
import { body, env, expectError, send, unique } from "./helpers";

const MODULES = "/api/v1/modules";

const manager = await signedIn("KNOWLEDGE_MANAGER");
const integration = await signedIn("API");
const employee = await signedIn("EMPLOYEE");

/** Adds a module as the manager and returns it. */
async function createModule(overrides: Record<string, unknown> = {}) {
  const res = await send("POST", MODULES, { title: unique("Module "), ...overrides }, manager.token);
  expect(res.status).toBe(201);
  return (await body(res)).module;
}

const progressPath = (userId: number, moduleId?: number) =>
  `/api/v1/users/${userId}/progress${moduleId === undefined ? "" : `/${moduleId}`}`;

const putScore = (userId: number, moduleId: number, score: unknown, token = integration.token) =>
  send("PUT", progressPath(userId, moduleId), { score }, token);

describe("module catalog", () => {
  it("adds a module (201) with KC7's fields, deriving clean_title and defaulting est_time and max_score", async () => {
    const title = `Threat Hunting: ${unique("x")}!`;
    const res = await send(
      "POST",
      MODULES,
      { title, description: "Find the bad guys", difficulty: "Easy" },
      manager.token,
    );
    expect(res.status).toBe(201);
    const json = await body(res);
    expect(json).toEqual({
      module: {
        id: expect.any(Number),
        title,
        clean_title: title.replace(":", "").replace("!", ""),
        description: "Find the bad guys",
        est_time: "na",
        difficulty: "Easy",
        max_score: 100,
      },
      message: "Module created successfully",
    });
  });

  it("lists the catalog to any holder of modules:read in the {modules, total, skip, limit} envelope", async () => {
    const a = await createModule();
    const b = await createModule({ clean_title: "Custom", est_time: "2h", max_score: 50 });
    const all = await body(await send("GET", `${MODULES}?limit=1000`, undefined, employee.token));
    expect(all).toMatchObject({ skip: 0, limit: 1000, total: expect.any(Number) });
    expect(all.modules).toHaveLength(all.total);
    expect(all.modules).toEqual(expect.arrayContaining([a, b]));
    const page = await body(await send("GET", `${MODULES}?skip=${all.total - 1}&limit=1`, undefined, employee.token));
    expect(page).toMatchObject({ total: all.total, skip: all.total - 1, limit: 1 });
    expect(page.modules).toEqual([all.modules[all.total - 1]]);
  });

  it("serves the catalog and one module without a token (KC7's public catalog)", async () => {
    const mod = await createModule();
    const listed = await send("GET", `${MODULES}?limit=1000`);
    expect(listed.status).toBe(200);
    expect((await body(listed)).modules).toContainEqual(mod);
    const one = await send("GET", `${MODULES}/${mod.id}`);
    expect(await body(one)).toEqual({ module: mod, message: "Module retrieved successfully" });
  });

  it("serves the catalog to a signed-in user without modules:read", async () => {
    const noRole = await signedIn(null);
    expect((await send("GET", MODULES, undefined, noRole.token)).status).toBe(200);
  });

  it("keeps managing the catalog protected (401 without a token)", async () => {
    const mod = await createModule();
    await expectError(await send("POST", MODULES, { title: "x" }), 401, "UNAUTHORIZED");
    await expectError(await send("PATCH", `${MODULES}/${mod.id}`, { title: "x" }), 401, "UNAUTHORIZED");
    await expectError(await send("DELETE", `${MODULES}/${mod.id}`), 401, "UNAUTHORIZED");
  });

  it("gets one module", async () => {
    const mod = await createModule();
    const res = await send("GET", `${MODULES}/${mod.id}`, undefined, employee.token);
    expect(await body(res)).toEqual({ module: mod, message: "Module retrieved successfully" });
  });

  it("answers 404 MODULE_NOT_FOUND for an unknown module", async () => {
    const json = await expectError(
      await send("GET", `${MODULES}/999999999`, undefined, employee.token),
      404,
      "MODULE_NOT_FOUND",
    );
    expect(json.detail).toBe("Module with id 999999999 not found");
  });

  it("refuses writes to those without the module permissions (403)", async () => {
    const mod = await createModule();
    await expectError(await send("POST", MODULES, { title: "x" }, employee.token), 403, "FORBIDDEN");
    await expectError(await send("PUT", `${MODULES}/${mod.id}`, { title: "x" }, employee.token), 403, "FORBIDDEN");
    await expectError(await send("DELETE", `${MODULES}/${mod.id}`, undefined, integration.token), 403, "FORBIDDEN");
  });

  it.each([
    ["an empty title", { title: " " }],
    ["a title over 200 characters", { title: "x".repeat(201) }],
    ["a zero max_score", { title: "x", max_score: 0 }],
    ["a fractional max_score", { title: "x", max_score: 9.5 }],
    ["an est_time over 50 characters", { title: "x", est_time: "x".repeat(51) }],
    ["an unknown field", { title: "x", points: 3 }],
  ])("answers 422 for %s", async (_name, payload) => {
    await expectError(await send("POST", MODULES, payload, manager.token), 422, "VALIDATION_ERROR");
  });

  it("updates a module with PUT", async () => {
    const mod = await createModule();
    const put = await send("PUT", `${MODULES}/${mod.id}`, { title: "Renamed", difficulty: null }, manager.token);
    expect(await body(put)).toEqual({
      module: { ...mod, title: "Renamed", difficulty: null },
      message: "Module updated successfully",
    });
  });

  it("updates a module with PATCH", async () => {
    const mod = await createModule();
    const patch = await body(await send("PATCH", `${MODULES}/${mod.id}`, { max_score: 40 }, manager.token));
    expect(patch.module.max_score).toBe(40);
  });

  it("answers 404 MODULE_NOT_FOUND updating an unknown module", async () => {
    await expectError(
      await send("PATCH", `${MODULES}/999999999`, { title: "x" }, manager.token),
      404,
      "MODULE_NOT_FOUND",
    );
  });

  it("answers 422 for an empty update", async () => {
    const mod = await createModule();
    await expectError(await send("PATCH", `${MODULES}/${mod.id}`, {}, manager.token), 422, "VALIDATION_ERROR");
  });

  /** A module in which a learner has scored 70. */
  async function moduleScored70() {
    const mod = await createModule();
    const learner = await createUser();
    expect((await putScore(learner.id, mod.id, 70)).status).toBe(201);
    return mod;
  }

  it("refuses lowering max_score below a recorded score with 409", async () => {
    const mod = await moduleScored70();
    const json = await expectError(
      await send("PUT", `${MODULES}/${mod.id}`, { max_score: 60 }, manager.token),
      409,
      "MAX_SCORE_BELOW_SCORES",
    );
    expect(json.detail).toBe(`max_score (60) can't be below the highest recorded score (70) of module ${mod.id}`);
  });

  it("accepts lowering max_score to the highest recorded score", async () => {
    const mod = await moduleScored70();
    expect((await send("PUT", `${MODULES}/${mod.id}`, { max_score: 70 }, manager.token)).status).toBe(200);
  });

  it("deletes a module with the progress recorded in it", async () => {
    const mod = await createModule();
    const learner = await createUser();
    await putScore(learner.id, mod.id, 10);
    const res = await send("DELETE", `${MODULES}/${mod.id}`, undefined, manager.token);
    expect(await body(res)).toEqual({ message: "Module deleted successfully" });
    await expectError(await send("GET", `${MODULES}/${mod.id}`, undefined, manager.token), 404, "MODULE_NOT_FOUND");
    const left = await env.DB.prepare("SELECT count(*) AS n FROM module_progress WHERE module_id = ?1")
      .bind(mod.id)
      .first();
    expect(left?.n).toBe(0);
    await expectError(await send("DELETE", `${MODULES}/${mod.id}`, undefined, manager.token), 404, "MODULE_NOT_FOUND");
  });
});

describe("PUT /users/{id}/progress/{module_id}", () => {
  it("enrolls the user with its score (201), then updates it (200); progress is score / max_score", async () => {
    const mod = await createModule({ max_score: 80 });
    const learner = await createUser();
    const created = await putScore(learner.id, mod.id, 20);
    expect(created.status).toBe(201);
    expect(await body(created)).toEqual({
      progress: { user_id: learner.id, module_id: mod.id, score: 20, max_score: 80, progress: 0.25 },
      message: "Progress recorded successfully",
    });
    const updated = await putScore(learner.id, mod.id, 80, manager.token);
    expect(updated.status).toBe(200);
    expect(await body(updated)).toEqual({
      progress: { user_id: learner.id, module_id: mod.id, score: 80, max_score: 80, progress: 1 },
      message: "Progress updated successfully",
    });
  });

  it("refuses a score outside 0..max_score with 422 and leaves the stored score alone", async () => {
    const mod = await createModule({ max_score: 10 });
    const learner = await createUser();
    await putScore(learner.id, mod.id, 5);
    const over = await expectError(await putScore(learner.id, mod.id, 10.5), 422, "VALIDATION_ERROR");
    expect(over.detail).toEqual([
      { loc: ["body", "score"], msg: "score must be between 0 and 10 (the module's max_score)", type: "value_error" },
    ]);
    for (const score of [-1, "7", null]) {
      await expectError(await putScore(learner.id, mod.id, score), 422, "VALIDATION_ERROR");
    }
    const stored = await body(await send("GET", progressPath(learner.id, mod.id), undefined, manager.token));
    expect(stored.progress.score).toBe(5);
  });

  it("answers 404 USER_NOT_FOUND for an unknown user", async () => {
    const mod = await createModule();
    const user = await expectError(await putScore(999_999_999, mod.id, 1), 404, "USER_NOT_FOUND");
    expect(user.detail).toBe("User with id 999999999 not found");
  });

  it("answers 404 MODULE_NOT_FOUND for an unknown module", async () => {
    const learner = await createUser();
    await expectError(await putScore(learner.id, 999_999_999, 1), 404, "MODULE_NOT_FOUND");
  });

  it("is for holders of progress:write only (an employee gets 403, also for itself)", async () => {
    const mod = await createModule();
    await expectError(await putScore(employee.user.id, mod.id, 100, employee.token), 403, "FORBIDDEN");
  });
});

describe("GET /users/{id}/progress", () => {
  it("lists a user's enrollments with module name, score, max_score and progress, to the user itself", async () => {
    const a = await createModule({ max_score: 100 });
    const b = await createModule({ max_score: 4 });
    await createModule();
    const learner = await signedIn("EMPLOYEE");
    await putScore(learner.user.id, a.id, 80);
    await putScore(learner.user.id, b.id, 1);
    const res = await send("GET", progressPath(learner.user.id), undefined, learner.token);
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({
      progress: [
        { module_id: a.id, module_name: a.title, score: 80, max_score: 100, progress: 0.8 },
        { module_id: b.id, module_name: b.title, score: 1, max_score: 4, progress: 0.25 },
      ],
      total: 2,
    });
  });

  it("answers an empty list for a user enrolled nowhere", async () => {
    const learner = await signedIn("EMPLOYEE");
    expect(await body(await send("GET", progressPath(learner.user.id), undefined, learner.token))).toEqual({
      progress: [],
      total: 0,
    });
  });

  /** A user enrolled in one module. */
  async function enrolledLearner() {
    const mod = await createModule();
    const learner = await createUser();
    await putScore(learner.id, mod.id, 50);
    return learner;
  }

  it("shows anyone's progress to holders of progress:read", async () => {
    const learner = await enrolledLearner();
    for (const token of [manager.token, integration.token]) {
      expect((await body(await send("GET", progressPath(learner.id), undefined, token))).total).toBe(1);
    }
  });

  it("answers 404 USER_NOT_FOUND to other users", async () => {
    const learner = await enrolledLearner();
    const json = await expectError(
      await send("GET", progressPath(learner.id), undefined, employee.token),
      404,
      "USER_NOT_FOUND",
    );
    expect(json.detail).toBe(`User with id ${learner.id} not found`);
  });

  it("answers 404 USER_NOT_FOUND for an unknown user", async () => {
    await expectError(await send("GET", progressPath(999_999_999), undefined, manager.token), 404, "USER_NOT_FOUND");
  });

  it("answers 401 without credentials", async () => {
    const learner = await enrolledLearner();
    await expectError(await send("GET", progressPath(learner.id)), 401, "UNAUTHORIZED");
  });
});

describe("GET /users/{id}/progress/{module_id}", () => {
  it("answers the user's progress in the module", async () => {
    const mod = await createModule({ max_score: 200 });
    const learner = await signedIn("EMPLOYEE");
    await putScore(learner.user.id, mod.id, 50);
    const res = await send("GET", progressPath(learner.user.id, mod.id), undefined, learner.token);
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual({
      progress: { user_id: learner.user.id, module_id: mod.id, score: 50, max_score: 200, progress: 0.25 },
    });
  });

  it("tells an unknown user, an unknown module and a missing enrollment apart (404 each)", async () => {
    const mod = await createModule();
    const learner = await createUser();
    await expectError(
      await send("GET", progressPath(999_999_999, mod.id), undefined, manager.token),
      404,
      "USER_NOT_FOUND",
    );
    await expectError(
      await send("GET", progressPath(learner.id, 999_999_999), undefined, manager.token),
      404,
      "MODULE_NOT_FOUND",
    );
    const json = await expectError(
      await send("GET", progressPath(learner.id, mod.id), undefined, manager.token),
      404,
      "ENROLLMENT_NOT_FOUND",
    );
    expect(json.detail).toBe(`User ${learner.id} is not enrolled in module ${mod.id}`);
  });

  it("hides another user's progress from an employee (404 USER_NOT_FOUND)", async () => {
    const mod = await createModule();
    const learner = await createUser();
    await putScore(learner.id, mod.id, 1);
    await expectError(
      await send("GET", progressPath(learner.id, mod.id), undefined, employee.token),
      404,
      "USER_NOT_FOUND",
    );
  });

  it("answers 422 for a module_id that is not a positive integer", async () => {
    const learner = await createUser();
    await expectError(
      await send("GET", progressPath(learner.id, 0), undefined, manager.token),
      422,
      "VALIDATION_ERROR",
    );
  });
});

describe("documentation", () => {
  it("documents the module and progress operations in /openapi.json", async () => {
    const doc = await body(await send("GET", "/openapi.json"));
    expect(Object.keys(doc.paths["/api/v1/modules"])).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/api/v1/modules/{id}"])).toEqual(["get", "put", "patch", "delete"]);
    expect(Object.keys(doc.paths["/api/v1/users/{id}/progress"])).toEqual(["get"]);
    expect(Object.keys(doc.paths["/api/v1/users/{id}/progress/{module_id}"])).toEqual(["get", "put"]);
  });
});
