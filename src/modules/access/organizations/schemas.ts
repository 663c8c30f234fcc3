import { z } from "@hono/zod-openapi";
import { pageFields, paginationQuery } from "../../../lib/pagination";

/** A boolean query parameter: `true`/`false` (or `1`/`0`); anything else is a 422. */
export const BooleanQuery = z
  .enum(["true", "false", "1", "0"])
  .transform((v) => v === "true" || v === "1")
  .openapi({ type: "boolean" });

/** At most this many admins named in one request. */
export const MAX_ADMIN_IDS = 50;

const UserIds = z.array(z.number().int().positive()).max(MAX_ADMIN_IDS);
const Name = z.string().trim().min(1).max(200).openapi({ example: "Acme Corp" });
const Description = z.string().trim().max(2000).nullable().optional();
const Domain = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "A domain name such as acme.com")
  .nullable()
  .optional()
  .openapi({ example: "acme.com" });

/** An organization as the API shows it; `admin_ids` are the members flagged `is_admin`. */
export const OrganizationSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    description: z.string().nullable(),
    domain: z.string().nullable(),
    active: z.boolean(),
    admin_ids: z.array(z.number().int()),
    member_count: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Organization");

/** An organization as the API shows it. */
export type OrganizationView = z.infer<typeof OrganizationSchema>;

/** Query of `GET /organizations`: pagination, `search` (name) and `active`. */
export const OrganizationListQuery = paginationQuery.extend({
  search: z.string().trim().min(1).max(100).optional().openapi({ description: "Part of the name" }),
  active: BooleanQuery.optional(),
});

/** Body of `POST /organizations` (strict). */
export const CreateOrganizationBody = z
  .object({
    name: Name,
    description: Description,
    domain: Domain,
    active: z.boolean().optional(),
    admin_ids: UserIds.optional(),
  })
  .strict()
  .openapi("CreateOrganizationRequest");

/** Body of `PUT /organizations/{id}` (partial, strict). */
export const UpdateOrganizationBody = z
  .object({
    name: Name.optional(),
    description: Description,
    domain: Domain,
    active: z.boolean().optional(),
    admin_ids: UserIds.optional(),
  })
  .strict()
  .openapi("UpdateOrganizationRequest");

/** `{organization, message?}`. */
export const OrganizationEnvelope = z
  .object({ organization: OrganizationSchema, message: z.string().optional() })
  .openapi("OrganizationEnvelope");

/** `{organizations, total, skip, limit}`. */
export const OrganizationList = z
  .object({ organizations: z.array(OrganizationSchema), ...pageFields })
  .openapi("OrganizationList");

/** A membership: the user, its admin flag and its roles scoped to the organization. */
export const MemberSchema = z
  .object({
    user_id: z.number().int(),
    username: z.string(),
    full_name: z.string().nullable(),
    is_admin: z.boolean(),
    role_ids: z.array(z.number().int()).openapi({ description: "The member's roles scoped to this organization" }),
    joined_at: z.string(),
  })
  .openapi("OrganizationMember");

/** A membership as the API shows it. */
export type MemberView = z.infer<typeof MemberSchema>;

/** Path parameters `{id}` (organization) and `{user_id}`. */
export const MemberParams = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: "id", in: "path" }, example: 1 }),
  user_id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: "user_id", in: "path" }, example: 2 }),
});

/** Body of `PUT /organizations/{id}/members/{user_id}` (strict). */
export const PutMemberBody = z
  .object({
    is_admin: z.boolean().optional(),
    role_ids: z.array(z.number().int().positive()).max(50).optional().openapi({
      description: "Replaces the member's roles of this organization (roles scoped to it only)",
    }),
  })
  .strict()
  .openapi("PutMemberRequest");

/** `{member, message}`. */
export const MemberEnvelope = z.object({ member: MemberSchema, message: z.string() }).openapi("MemberEnvelope");

/** `{members, total, skip, limit}`. */
export const MemberList = z.object({ members: z.array(MemberSchema), ...pageFields }).openapi("MemberList");
