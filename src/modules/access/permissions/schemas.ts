import * as z from "zod/mini";
import { doc, named } from "../../../lib/openapi";
import { pageFields, paginationQuery } from "../../../lib/pagination";

/** A resource or action name: lower-case letters, digits and `_`, starting with a letter. */
const KeyPart = z
  .string()
  .check(
    z.trim(),
    z.minLength(1),
    z.maxLength(50),
    z.regex(/^[a-z][a-z0-9_]*$/, "Lower-case letters, digits and '_', starting with a letter"),
  );

/** A permission's readable name ("View Users"), unique case-insensitively within its scope. */
const Name = doc(z.string().check(z.trim(), z.minLength(1), z.maxLength(100)), { example: "Delete Projects" });

/** A permission as the API shows it (the RBAC System's fields in snake_case); `key` is `resource:action`. */
export const PermissionSchema = named(
  z.object({
    id: z.int(),
    name: doc(z.string(), { example: "View Users" }),
    resource: doc(z.string(), { example: "trainings" }),
    action: doc(z.string(), { example: "create" }),
    key: doc(z.string(), { example: "trainings:create" }),
    description: z.nullable(z.string()),
    organization_id: z.nullable(z.int()),
    is_system: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  }),
  "Permission",
);

/** A permission as the API shows it. */
export type PermissionView = z.infer<typeof PermissionSchema>;

/** Query of `GET /permissions`: pagination and the filters `organization_id`, `resource`, `action`. */
export const PermissionListQuery = z.extend(paginationQuery, {
  organization_id: doc(z.optional(z.coerce.number().check(z.int(), z.positive())), {
    description: "Only this organization's",
  }),
  resource: z.optional(KeyPart),
  action: z.optional(KeyPart),
});

/** Body of `POST /permissions` (strict). */
export const CreatePermissionBody = named(
  z.strictObject({
    name: Name,
    resource: KeyPart,
    action: KeyPart,
    description: z.optional(z.nullable(z.string().check(z.trim(), z.maxLength(500)))),
    organization_id: z.optional(z.nullable(z.int().check(z.positive()))),
  }),
  "CreatePermissionRequest",
);

/** Body of `PUT /permissions/{id}` (partial, strict). */
export const UpdatePermissionBody = named(
  z.strictObject({
    name: z.optional(Name),
    resource: z.optional(KeyPart),
    action: z.optional(KeyPart),
    description: z.optional(z.nullable(z.string().check(z.trim(), z.maxLength(500)))),
  }),
  "UpdatePermissionRequest",
);

/** `{permission, message?}`. */
export const PermissionEnvelope = named(
  z.object({ permission: PermissionSchema, message: z.optional(z.string()) }),
  "PermissionEnvelope",
);

/** `{permissions, total, skip, limit}`. */
export const PermissionList = named(
  z.object({ permissions: z.array(PermissionSchema), ...pageFields }),
  "PermissionList",
);
