import { z } from "@hono/zod-openapi";
import { pageFields, paginationQuery } from "../../../lib/pagination";
import { PASSWORD_MAX_LENGTH } from "../../../lib/password";
import { canonicalRoleName, ROLE_ALIASES, SYSTEM_ROLES, type SystemRole } from "../../../lib/permissions";
import { BooleanQuery } from "../organizations/schemas";
import { UserSchema } from "./user-view";

/** Usernames: 3 to 50 letters, digits, `.`, `_` or `-`. */
export const UsernameSchema = z
  .string()
  .trim()
  .min(3)
  .max(50)
  .regex(/^[A-Za-z0-9._-]+$/, "Only letters, digits, '.', '_' and '-'")
  .openapi({ example: "johndoe" });

/** An email address, lower-cased; a missing one is told in KC7's words, `Email is required`. */
export const EmailSchema = z
  .email({ error: (issue) => (issue.input === undefined ? "Email is required" : undefined) })
  .max(254)
  .transform((e) => e.toLowerCase())
  .openapi({ example: "john.doe@example.com" });

/** Length bounds are checked by the password policy (with the common-password list) before hashing. */
export const PasswordSchema = z
  .string()
  .max(PASSWORD_MAX_LENGTH)
  .openapi({ example: "a long passphrase", format: "password" });

/** At most this many role or organization ids in one request. */
export const MAX_IDS = 50;

const Ids = z.array(z.number().int().positive()).max(MAX_IDS);
const optionalText = (max: number) => z.string().trim().max(max).nullable().optional();

/** Profile fields: a user may set its own; others need `users:update`. */
const profileFields = {
  full_name: optionalText(200),
  first_name: optionalText(100),
  last_name: optionalText(100),
  office_location: optionalText(200),
  department: optionalText(200),
  receive_email: z.boolean().optional(),
};

/** A system role's name or alias (`MANAGER`), as the canonical name. */
const SystemRoleInput = z
  .enum([...SYSTEM_ROLES, ...(Object.keys(ROLE_ALIASES) as (keyof typeof ROLE_ALIASES)[])])
  .transform((name) => canonicalRoleName(name) as SystemRole);

/** Access fields: only holders of `users:manage_access` may set them (403 FIELD_NOT_ALLOWED otherwise). */
const accessFields = {
  role: SystemRoleInput.optional().openapi({
    description: "Replaces the user's system role(s); `MANAGER` is accepted for `KNOWLEDGE_MANAGER`",
  }),
  role_ids: Ids.optional().openapi({ description: "Replaces the user's roles (global and organization-scoped)" }),
  organization_ids: Ids.optional().openapi({
    description: "Replaces the user's memberships; leaving an organization drops its roles",
  }),
  is_active: z.boolean().optional(),
};

/** The access fields, by name. */
export const ACCESS_FIELDS = Object.keys(accessFields) as (keyof typeof accessFields)[];

const oneRoleField = (b: { role?: unknown; role_ids?: unknown }) => b.role === undefined || b.role_ids === undefined;
const oneRoleFieldIssue = { message: "Give either role or role_ids", path: ["role_ids"] };

/** Query of `GET /users`: pagination and the filters `active_only` (default true), `role`, `organization_id`, `search`. */
export const UserListQuery = paginationQuery.extend({
  active_only: BooleanQuery.optional().openapi({ description: "Only active users (default true)" }),
  role: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .transform(canonicalRoleName)
    .optional()
    .openapi({ description: "Holders of this global role (any case; `MANAGER` means `KNOWLEDGE_MANAGER`)" }),
  organization_id: z.coerce.number().int().positive().optional(),
  search: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: "Part of the username, full name or (for callers who may read emails) email" }),
});

/** Query of `GET /admin/users` (Synapse): pagination and `status`. */
export const AdminUserListQuery = paginationQuery.extend({
  status: z.enum(["active", "inactive"]).optional().openapi({ description: "Both when absent" }),
});

/** Body of `POST /users`; strict, so unknown fields (`email_verified`, `password_hash`, ...) are a 422. */
export const CreateUserBody = z
  .object({
    username: UsernameSchema,
    email: EmailSchema,
    password: PasswordSchema.optional().openapi({
      description: "Optional: without one the user signs in by magic link (auth_provider magic_link)",
    }),
    ...profileFields,
    ...accessFields,
  })
  .strict()
  .refine(oneRoleField, oneRoleFieldIssue)
  .openapi("CreateUserRequest");

/** A validated `POST /users` body. */
export type CreateUserInput = z.infer<typeof CreateUserBody>;

/** Body of `PUT`/`PATCH /users/{id}` (partial, strict). */
export const UpdateUserBody = z
  .object({ username: UsernameSchema.optional(), email: EmailSchema.optional(), ...profileFields, ...accessFields })
  .strict()
  .refine(oneRoleField, oneRoleFieldIssue)
  .openapi("UpdateUserRequest");

/** A validated `PUT`/`PATCH /users/{id}` body. */
export type UpdateUserInput = z.infer<typeof UpdateUserBody>;

/** Path parameter `{username}`. */
export const UsernameParam = z.object({
  username: z
    .string()
    .min(1)
    .max(50)
    .openapi({ param: { name: "username", in: "path" }, example: "johndoe" }),
});

/** Path parameter `{email}`. */
export const EmailParam = z.object({
  email: z
    .email()
    .max(254)
    .openapi({ param: { name: "email", in: "path" }, example: "john.doe@example.com" }),
});

/** `{user, message?}`. */
export const UserEnvelope = z.object({ user: UserSchema, message: z.string().optional() }).openapi("UserEnvelope");

/** `{users, total, skip, limit}`. */
export const UserList = z.object({ users: z.array(UserSchema), ...pageFields }).openapi("UserList");

/** `{user, message}` of `/auth/me` and `/users/me`. */
export const MeSchema = z.object({ user: UserSchema, message: z.string() }).openapi("Me");
