import * as z from "zod/mini";
import { doc, named } from "../../../lib/openapi";
import { pageFields, paginationQuery } from "../../../lib/pagination";
import { PASSWORD_MAX_LENGTH } from "../../../lib/password";
import { canonicalRoleName, ROLE_ALIASES, SYSTEM_ROLES, type SystemRole } from "../../../lib/permissions";
import { BooleanQuery } from "../organizations/schemas";
import { UserSchema } from "./user-view";

/** Usernames: 3 to 50 letters, digits, `.`, `_` or `-`. */
export const UsernameSchema = doc(
  z
    .string()
    .check(
      z.trim(),
      z.minLength(3),
      z.maxLength(50),
      z.regex(/^[A-Za-z0-9._-]+$/, "Only letters, digits, '.', '_' and '-'"),
    ),
  { example: "johndoe" },
);

/** An email address, lower-cased; a missing one is told in KC7's words, `Email is required`. */
export const EmailSchema = doc(
  z.pipe(
    z
      .email({ error: (issue) => (issue.input === undefined ? "Email is required" : undefined) })
      .check(z.maxLength(254)),
    z.transform((e) => e.toLowerCase()),
  ),
  { example: "john.doe@example.com" },
);

/** Length bounds are checked by the password policy (with the common-password list) before hashing. */
export const PasswordSchema = doc(z.string().check(z.maxLength(PASSWORD_MAX_LENGTH)), {
  example: "a long passphrase",
  format: "password",
});

/** At most this many role or organization ids in one request. */
export const MAX_IDS = 50;

const Ids = z.array(z.int().check(z.positive())).check(z.maxLength(MAX_IDS));
const optionalText = (max: number) => z.optional(z.nullable(z.string().check(z.trim(), z.maxLength(max))));

/** Profile fields: a user may set its own; others need `users:update`. */
const profileFields = {
  full_name: optionalText(200),
  first_name: optionalText(100),
  last_name: optionalText(100),
  office_location: optionalText(200),
  department: optionalText(200),
  receive_email: z.optional(z.boolean()),
};

/** A system role's name or alias (`MANAGER`), as the canonical name. */
const SystemRoleInput = z.pipe(
  z.enum([...SYSTEM_ROLES, ...(Object.keys(ROLE_ALIASES) as (keyof typeof ROLE_ALIASES)[])]),
  z.transform((name) => canonicalRoleName(name) as SystemRole),
);

/** Access fields: only holders of `users:manage_access` may set them (403 FIELD_NOT_ALLOWED otherwise). */
const accessFields = {
  role: doc(z.optional(SystemRoleInput), {
    description: "Replaces the user's system role(s); `MANAGER` is accepted for `KNOWLEDGE_MANAGER`",
  }),
  role_ids: doc(z.optional(Ids), { description: "Replaces the user's roles (global and organization-scoped)" }),
  organization_ids: doc(z.optional(Ids), {
    description: "Replaces the user's memberships; leaving an organization drops its roles",
  }),
  is_active: z.optional(z.boolean()),
};

/** The access fields, by name. */
export const ACCESS_FIELDS = Object.keys(accessFields) as (keyof typeof accessFields)[];

const oneRoleField = (b: { role?: unknown; role_ids?: unknown }) => b.role === undefined || b.role_ids === undefined;
const oneRoleFieldIssue = { message: "Give either role or role_ids", path: ["role_ids"] };

/** Query of `GET /users`: pagination and the filters `active_only` (default true), `role`, `organization_id`, `search`. */
export const UserListQuery = z.extend(paginationQuery, {
  active_only: doc(z.optional(BooleanQuery), { description: "Only active users (default true)" }),
  role: doc(
    z.optional(z.pipe(z.string().check(z.trim(), z.minLength(1), z.maxLength(100)), z.transform(canonicalRoleName))),
    { description: "Holders of this global role (any case; `MANAGER` means `KNOWLEDGE_MANAGER`)" },
  ),
  organization_id: z.optional(z.coerce.number().check(z.int(), z.positive())),
  search: doc(z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(100))), {
    description: "Part of the username, full name or (for callers who may read emails) email",
  }),
});

/** Query of `GET /admin/users` (Synapse): pagination and `status`. */
export const AdminUserListQuery = z.extend(paginationQuery, {
  status: doc(z.optional(z.enum(["active", "inactive"])), { description: "Both when absent" }),
});

/** Body of `POST /users`; strict, so unknown fields (`email_verified`, `password_hash`, ...) are a 422. */
export const CreateUserBody = named(
  z
    .strictObject({
      username: UsernameSchema,
      email: EmailSchema,
      password: doc(z.optional(PasswordSchema), {
        description: "Optional: without one the user signs in by magic link (auth_provider magic_link)",
      }),
      ...profileFields,
      ...accessFields,
    })
    .check(z.refine(oneRoleField, oneRoleFieldIssue)),
  "CreateUserRequest",
);

/** A validated `POST /users` body. */
export type CreateUserInput = z.infer<typeof CreateUserBody>;

/** Body of `PUT`/`PATCH /users/{id}` (partial, strict). */
export const UpdateUserBody = named(
  z
    .strictObject({
      username: z.optional(UsernameSchema),
      email: z.optional(EmailSchema),
      ...profileFields,
      ...accessFields,
    })
    .check(z.refine(oneRoleField, oneRoleFieldIssue)),
  "UpdateUserRequest",
);

/** A validated `PUT`/`PATCH /users/{id}` body. */
export type UpdateUserInput = z.infer<typeof UpdateUserBody>;

/** Path parameter `{username}`. */
export const UsernameParam = z.object({
  username: doc(z.string().check(z.minLength(1), z.maxLength(50)), { example: "johndoe" }),
});

/** Path parameter `{email}`. */
export const EmailParam = z.object({
  email: doc(z.email().check(z.maxLength(254)), { example: "john.doe@example.com" }),
});

/** `{user, message?}`. */
export const UserEnvelope = named(z.object({ user: UserSchema, message: z.optional(z.string()) }), "UserEnvelope");

/** `{users, total, skip, limit}`. */
export const UserList = named(z.object({ users: z.array(UserSchema), ...pageFields }), "UserList");

/** `{user, message}` of `/auth/me` and `/users/me`. */
export const MeSchema = named(z.object({ user: UserSchema, message: z.string() }), "Me");
