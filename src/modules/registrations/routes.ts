import { API_PREFIX } from "../../app-info";
import type { AppEnv } from "../../env";
import { errors, IdParam, json, jsonBody, MessageSchema } from "../../lib/openapi";
import { listOf, pageOf } from "../../lib/pagination";
import { createRouter, guardedRoute, type RouteHandler } from "../../middleware/route";
import {
  cancelRegistration,
  getVisibleRegistration,
  listOwnRegistrations,
  listVisibleRegistrations,
  register,
  registrationsOfTraining,
  updateRegistration,
} from "./registration-service";
import {
  CreatedRegistrationEnvelope,
  CreateRegistrationBody,
  OwnRegistrationsQuery,
  RegisterForTrainingBody,
  RegistrationEnvelope,
  RegistrationList,
  RegistrationListQuery,
  TrainingRegistrationsQuery,
  UpdateRegistrationBody,
} from "./schemas";

const tags = ["Registrations"];
const REGISTRATIONS = `${API_PREFIX}/registrations`;

const ownOrManaged = "Someone else's registration is 404 to a caller without `registrations:manage`.";

const updateRoute = (method: "put" | "patch") =>
  guardedRoute({
    method,
    path: `${REGISTRATIONS}/{id}`,
    tags,
    summary: "Change a registration's status or feedback",
    description: `${ownOrManaged} Status moves REGISTERED → ATTENDED → COMPLETED (both need \`registrations:manage\`, else 403) or REGISTERED/ATTENDED → CANCELLED (the owner may cancel a REGISTERED one; once ATTENDED, only \`registrations:manage\`, else 403); any other move is 409 \`INVALID_STATUS_TRANSITION\`, also when a concurrent change got there first. \`feedback_score\` (1..5) is accepted once the registration is ATTENDED or COMPLETED (else 409 \`FEEDBACK_NOT_ALLOWED\`). Reaching COMPLETED records the \`registration.completed\` webhook event, CANCELLED \`registration.cancelled\`.`,
    permission: "registrations:manage",
    scope: "own",
    request: { params: IdParam, body: jsonBody(UpdateRegistrationBody) },
    responses: { 200: json(RegistrationEnvelope, "The updated registration"), ...errors(404, 409) },
  });

/** PUT and PATCH /registrations/{id}: one partial update. */
const update: RouteHandler<ReturnType<typeof updateRoute>, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const registration = await updateRegistration(c.get("deps"), c.get("auth"), c.get("scope"), id, c.req.valid("json"));
  return c.json({ registration, message: "Registration updated successfully" }, 200);
};

const REGISTER_RULES =
  "Registers the caller, or `user_id` for holders of `registrations:manage` (others: 403). Only published trainings (a draft is 404, or 409 `TRAINING_NOT_PUBLISHED` to those who manage trainings). 409 `ALREADY_REGISTERED` for a second active registration, 409 `TRAINING_FULL` when no seat is left, also under concurrency. Other active registrations of the user for published trainings that overlap in time are reported in `conflicts` with a `warning` (a training without `end_date` lasts `duration_minutes` from its `start_date`; undated trainings are not compared). Records the `registration.created` webhook event.";

/** The body of a successful registration (`POST /registrations` and `POST /trainings/{id}/register`). */
function registered({ registration, conflicts }: Awaited<ReturnType<typeof register>>) {
  const warning =
    conflicts.length > 0
      ? `This training overlaps in time with ${conflicts.length} other registration(s) of the user`
      : undefined;
  return { registration, message: "Registration successful", conflicts, warning };
}

/** Registrations (OpenKMS): register, list, read, change status/feedback, cancel; a training's registrations. */
export const registrationRoutes = createRouter()
  .openapi(
    guardedRoute({
      method: "post",
      path: REGISTRATIONS,
      tags,
      summary: "Register for a training",
      description: REGISTER_RULES,
      permission: "registrations:create",
      request: { body: jsonBody(CreateRegistrationBody) },
      responses: { 201: json(CreatedRegistrationEnvelope, "Registered"), ...errors(404, 409) },
    }),
    async (c) => c.json(registered(await register(c.get("deps"), c.get("auth"), c.req.valid("json"))), 201),
  )
  .openapi(
    guardedRoute({
      method: "post",
      path: `${API_PREFIX}/trainings/{id}/register`,
      tags,
      summary: "Register for this training (as POST /registrations {training_id})",
      description: `The path names the training; the body is optional. ${REGISTER_RULES}`,
      permission: "registrations:create",
      request: {
        params: IdParam,
        body: { required: false, content: { "application/json": { schema: RegisterForTrainingBody } } },
      },
      responses: { 201: json(CreatedRegistrationEnvelope, "Registered"), ...errors(404, 409) },
    }),
    async (c) => {
      const userId = (c.req.valid("json") as { user_id?: number } | undefined)?.user_id;
      const input = { training_id: c.req.valid("param").id, user_id: userId };
      return c.json(registered(await register(c.get("deps"), c.get("auth"), input)), 201);
    },
  )
  .openapi(
    // Served from this module, mounted after the users routes: no /users/{id} route can match
    // /users/me/registrations (one segment against two), and a test holds it to that.
    guardedRoute({
      method: "get",
      path: `${API_PREFIX}/users/me/registrations`,
      tags,
      summary: "List the caller's own registrations",
      description: "Filters `training_id`, `status`; only the caller's registrations, whatever its permissions.",
      permission: "authenticated",
      request: { query: OwnRegistrationsQuery },
      responses: { 200: json(RegistrationList, "A page of the caller's registrations") },
    }),
    async (c) => {
      const { skip, offset, limit, ...filters } = c.req.valid("query");
      const page = pageOf({ skip, offset, limit });
      const { rows, total } = await listOwnRegistrations(c.get("deps"), c.get("auth"), filters, page);
      return c.json(listOf("registrations", rows, total, page), 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: REGISTRATIONS,
      tags,
      summary: "List registrations",
      description:
        "Filters `user_id`, `training_id`, `status`; another user's `user_id` gives a caller without `registrations:manage` an empty list.",
      permission: "registrations:manage",
      scope: "own",
      request: { query: RegistrationListQuery },
      responses: { 200: json(RegistrationList, "A page of registrations") },
    }),
    async (c) => {
      const { skip, offset, limit, ...filters } = c.req.valid("query");
      const page = pageOf({ skip, offset, limit });
      const { rows, total } = await listVisibleRegistrations(
        c.get("deps"),
        c.get("auth"),
        c.get("scope"),
        filters,
        page,
      );
      return c.json(listOf("registrations", rows, total, page), 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${REGISTRATIONS}/{id}`,
      tags,
      summary: "Get a registration",
      description: ownOrManaged,
      permission: "registrations:manage",
      scope: "own",
      request: { params: IdParam },
      responses: { 200: json(RegistrationEnvelope, "The registration"), ...errors(404) },
    }),
    async (c) => {
      const registration = await getVisibleRegistration(
        c.get("deps"),
        c.get("auth"),
        c.get("scope"),
        c.req.valid("param").id,
      );
      return c.json({ registration, message: "Registration retrieved successfully" }, 200);
    },
  )
  .openapi(updateRoute("put"), update)
  .openapi(updateRoute("patch"), update)
  .openapi(
    guardedRoute({
      method: "delete",
      path: `${REGISTRATIONS}/{id}`,
      tags,
      summary: "Cancel a registration",
      description: `${ownOrManaged} Sets the status to CANCELLED (the row is kept); a completed or already cancelled registration is 409 \`INVALID_STATUS_TRANSITION\`; an ATTENDED one may be cancelled only with \`registrations:manage\` (else 403). Records the \`registration.cancelled\` webhook event.`,
      permission: "registrations:manage",
      scope: "own",
      request: { params: IdParam },
      responses: { 200: json(MessageSchema, "Cancelled"), ...errors(404, 409) },
    }),
    async (c) => {
      await cancelRegistration(c.get("deps"), c.get("auth"), c.get("scope"), c.req.valid("param").id);
      return c.json({ message: "Registration cancelled successfully" }, 200);
    },
  )
  .openapi(
    guardedRoute({
      method: "get",
      path: `${API_PREFIX}/trainings/{id}/registrations`,
      tags,
      summary: "List a training's registrations",
      description: "Filter `status`. Drafts included; an unknown training is 404.",
      permission: "registrations:manage",
      request: { params: IdParam, query: TrainingRegistrationsQuery },
      responses: { 200: json(RegistrationList, "A page of the training's registrations"), ...errors(404) },
    }),
    async (c) => {
      const { status, ...paging } = c.req.valid("query");
      const page = pageOf(paging);
      const { id } = c.req.valid("param");
      const { rows, total } = await registrationsOfTraining(c.get("deps"), id, status, page);
      return c.json(listOf("registrations", rows, total, page), 200);
    },
  );
