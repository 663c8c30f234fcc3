import { API_PREFIX } from "../../app-info";
import { errors, IdParam, json, jsonBody } from "../../lib/openapi";
import { createRouter, guardedRoute } from "../../middleware/route";
import { progressInModule, progressOfUser, recordProgress } from "./progress-service";
import { ProgressEnvelope, ProgressList, ProgressParams, PutProgressBody } from "./schemas";

const tags = ["Progress"];
const PROGRESS = `${API_PREFIX}/users/{id}/progress`;
const readers = "Another user's progress is 404 `USER_NOT_FOUND` to a caller without `progress:read`.";

/** KC7 module progress: read a user's progress, record a score (`progress:write`). */
export const progressRoutes = createRouter()
  .openapi(
    guardedRoute({
      method: "get",
      path: PROGRESS,
      tags,
      summary: "A user's progress in the modules it is enrolled in",
      description: readers,
      permission: "progress:read",
      scope: "own",
      request: { params: IdParam },
      responses: { 200: json(ProgressList, "The user's progress"), ...errors(404) },
    }),
    async (c) => {
      const result = await progressOfUser(c.get("deps"), c.get("auth"), c.get("scope"), c.req.valid("param").id);
      return c.json(result, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${PROGRESS}/{module_id}`,
      tags,
      summary: "A user's progress in one module",
      description: `${readers} An unknown module is 404 \`MODULE_NOT_FOUND\`; a user not enrolled in it 404 \`ENROLLMENT_NOT_FOUND\`.`,
      permission: "progress:read",
      scope: "own",
      request: { params: ProgressParams },
      responses: { 200: json(ProgressEnvelope, "The progress"), ...errors(404) },
    }),
    async (c) => {
      const { id, module_id } = c.req.valid("param");
      const progress = await progressInModule(c.get("deps"), c.get("auth"), c.get("scope"), id, module_id);
      return c.json({ progress }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "put",
      path: `${PROGRESS}/{module_id}`,
      tags,
      summary: "Record a user's score in a module (enrolls the user if needed)",
      description:
        "201 when this enrolls the user, 200 when it updates the score. `score` must lie within 0..max_score (422). Records the `progress.updated` webhook event.",
      permission: "progress:write",
      request: { params: ProgressParams, body: jsonBody(PutProgressBody) },
      responses: {
        200: json(ProgressEnvelope, "Score updated"),
        201: json(ProgressEnvelope, "User enrolled with this score"),
        ...errors(404),
      },
    }),
    async (c) => {
      const { id, module_id } = c.req.valid("param");
      const { progress, created } = await recordProgress(c.get("deps"), id, module_id, c.req.valid("json").score);
      return created
        ? c.json({ progress, message: "Progress recorded successfully" }, 201)
        : c.json({ progress, message: "Progress updated successfully" }, 200);
    },
  );
