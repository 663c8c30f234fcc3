import { API_PREFIX } from "../../app-info";
import type { AppEnv } from "../../env";
import { errors, IdParam, json, jsonBody, MessageSchema } from "../../lib/openapi";
import { listOf, pageOf } from "../../lib/pagination";
import { createRouter, guardedRoute, type RouteHandler } from "../../middleware/route";
import { CreateTrainingBody, TrainingEnvelope, TrainingList, TrainingListQuery, UpdateTrainingBody } from "./schemas";
import {
  createTraining,
  deleteTraining,
  getVisibleTraining,
  listVisibleTrainings,
  updateTrainingById,
} from "./training-service";

const tags = ["Trainings"];
const TRAININGS = `${API_PREFIX}/trainings`;

const updateRoute = (method: "put" | "patch") =>
  guardedRoute({
    method,
    path: `${TRAININGS}/{id}`,
    tags,
    summary: "Update a training (any subset of its fields)",
    description:
      "`PUT` and `PATCH` both take any subset of the fields; `null` clears an optional one. An unknown `instructor_id` is 404 `USER_NOT_FOUND`; lowering `max_participants` below the active registrations is 409 `MAX_PARTICIPANTS_BELOW_REGISTRATIONS`. Records the `training.updated` webhook event.",
    permission: "trainings:update",
    request: { params: IdParam, body: jsonBody(UpdateTrainingBody) },
    responses: { 200: json(TrainingEnvelope, "The updated training"), ...errors(404, 409) },
  });

/** PUT and PATCH /trainings/{id}: one partial update. */
const update: RouteHandler<ReturnType<typeof updateRoute>, AppEnv> = async (c) => {
  const training = await updateTrainingById(c.get("deps"), c.req.valid("param").id, c.req.valid("json"));
  return c.json({ training, message: "Training updated successfully" }, 200);
};

/** Training administration (OpenKMS): list, read, create, update, delete. */
export const trainingRoutes = createRouter()
  .openapi(
    guardedRoute({
      method: "get",
      path: TRAININGS,
      tags,
      summary: "List trainings",
      description:
        "Filters `search` (title and description), `category`, `level`, `status`, `instructor_id`. Drafts are listed only to those who may manage trainings.",
      permission: "trainings:read",
      request: { query: TrainingListQuery },
      responses: { 200: json(TrainingList, "A page of trainings") },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const page = pageOf(query);
      const { rows, total } = await listVisibleTrainings(c.get("deps"), c.get("auth"), query, page);
      return c.json(listOf("trainings", rows, total, page), 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${TRAININGS}/{id}`,
      tags,
      summary: "Get a training",
      description: "A draft is 404 to those who may not manage trainings, exactly like a missing id.",
      permission: "trainings:read",
      request: { params: IdParam },
      responses: { 200: json(TrainingEnvelope, "The training"), ...errors(404) },
    }),
    async (c) => {
      const training = await getVisibleTraining(c.get("deps"), c.get("auth"), c.req.valid("param").id);
      return c.json({ training, message: "Training retrieved successfully" }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "post",
      path: TRAININGS,
      tags,
      summary: "Create a training",
      description:
        "Records the `training.created` webhook event. `status` defaults to `DRAFT`. An unknown or deactivated `instructor_id` is 404 `USER_NOT_FOUND`.",
      permission: "trainings:create",
      request: { body: jsonBody(CreateTrainingBody) },
      responses: { 201: json(TrainingEnvelope, "The created training"), ...errors(404) },
    }),
    async (c) => {
      const training = await createTraining(c.get("deps"), c.get("auth"), c.req.valid("json"));
      return c.json({ training, message: "Training created successfully" }, 201);
    },
  )
  .openapi(updateRoute("put"), update)
  .openapi(updateRoute("patch"), update)
  .openapi(
    guardedRoute({
      method: "delete",
      path: `${TRAININGS}/{id}`,
      tags,
      summary: "Delete a training without registrations",
      description:
        "A training that has registrations (of any status) is not deleted: 409 `TRAINING_HAS_REGISTRATIONS`; set it to `DRAFT` instead. Records the `training.deleted` webhook event.",
      permission: "trainings:delete",
      request: { params: IdParam },
      responses: { 200: json(MessageSchema, "Deleted"), ...errors(404, 409) },
    }),
    async (c) => {
      await deleteTraining(c.get("deps"), c.req.valid("param").id);
      return c.json({ message: "Training deleted successfully" }, 200);
    },
  );
