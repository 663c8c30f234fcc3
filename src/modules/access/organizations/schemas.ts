import * as z from "zod/mini";
import { doc, named } from "../../../lib/openapi";
import { pageFields, paginationQuery } from "../../../lib/pagination";

/** A boolean query parameter: `true`/`false` (or `1`/`0`); anything else is a 422. */
export const BooleanQuery = z.pipe(
  z.enum(["true", "false", "1", "0"]),
  z.transform((v) => v === "true" || v === "1"),
);

/** At most this many admins named in one request. */
export const MAX_ADMIN_IDS = 50;

const UserIds = z.array(z.int().check(z.positive())).check(z.maxLength(MAX_ADMIN_IDS));
const Name = doc(z.string().check(z.trim(), z.minLength(1), z.maxLength(200)), { example: "Acme Corp" });
const Description = z.optional(z.nullable(z.string().check(z.trim(), z.maxLength(2000))));
const Domain = doc(
  z.optional(
    z.nullable(
      z
        .string()
        .check(
          z.trim(),
          z.toLowerCase(),
          z.maxLength(253),
          z.regex(
            /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
            "A domain name such as acme.com",
          ),
        ),
    ),
  ),
  { example: "acme.com" },
);

/** An organization as the API shows it; `admin_ids` are the members flagged `is_admin`. */
export const OrganizationSchema = named(
  z.object({
    id: z.int(),
    name: z.string(),
    description: z.nullable(z.string()),
    domain: z.nullable(z.string()),
    active: z.boolean(),
    admin_ids: z.array(z.int()),
    member_count: z.int(),
    created_at: z.string(),
    updated_at: z.string(),
  }),
  "Organization",
);

/** An organization as the API shows it. */
export type OrganizationView = z.infer<typeof OrganizationSchema>;

/** Query of `GET /organizations`: pagination, `search` (name) and `active`. */
export const OrganizationListQuery = z.extend(paginationQuery, {
  search: doc(z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(100))), {
    description: "Part of the name",
  }),
  active: z.optional(BooleanQuery),
});

/** Body of `POST /organizations` (strict). */
export const CreateOrganizationBody = named(
  z.strictObject({
    name: Name,
    description: Description,
    domain: Domain,
    active: z.optional(z.boolean()),
    admin_ids: z.optional(UserIds),
  }),
  "CreateOrganizationRequest",
);

/** Body of `PUT /organizations/{id}` (partial, strict). */
export const UpdateOrganizationBody = named(
  z.strictObject({
    name: z.optional(Name),
    description: Description,
    domain: Domain,
    active: z.optional(z.boolean()),
    admin_ids: z.optional(UserIds),
  }),
  "UpdateOrganizationRequest",
);

/** `{organization, message?}`. */
export const OrganizationEnvelope = named(
  z.object({ organization: OrganizationSchema, message: z.optional(z.string()) }),
  "OrganizationEnvelope",
);

/** `{organizations, total, skip, limit}`. */
export const OrganizationList = named(
  z.object({ organizations: z.array(OrganizationSchema), ...pageFields }),
  "OrganizationList",
);

/** A membership: the user, its admin flag and its roles scoped to the organization. */
export const MemberSchema = named(
  z.object({
    user_id: z.int(),
    username: z.string(),
    full_name: z.nullable(z.string()),
    is_admin: z.boolean(),
    role_ids: doc(z.array(z.int()), { description: "The member's roles scoped to this organization" }),
    joined_at: z.string(),
  }),
  "OrganizationMember",
);

/** A membership as the API shows it. */
export type MemberView = z.infer<typeof MemberSchema>;

/** Path parameters `{id}` (organization) and `{user_id}`. */
export const MemberParams = z.object({
  id: doc(z.coerce.number().check(z.int(), z.positive()), { example: 1 }),
  user_id: doc(z.coerce.number().check(z.int(), z.positive()), { example: 2 }),
});

/** Body of `PUT /organizations/{id}/members/{user_id}` (strict). */
export const PutMemberBody = named(
  z.strictObject({
    is_admin: z.optional(z.boolean()),
    role_ids: doc(z.optional(z.array(z.int().check(z.positive())).check(z.maxLength(50))), {
      description: "Replaces the member's roles of this organization (roles scoped to it only)",
    }),
  }),
  "PutMemberRequest",
);

/** `{member, message}`. */
export const MemberEnvelope = named(z.object({ member: MemberSchema, message: z.string() }), "MemberEnvelope");

/** `{members, total, skip, limit}`. */
export const MemberList = named(z.object({ members: z.array(MemberSchema), ...pageFields }), "MemberList");
