import { z } from "@hono/zod-openapi";
import { pageFields, paginationQuery } from "../../../lib/pagination";

/** A resource or action name: lower-case letters, digits and `_`, starting with a letter. */
const KeyPart = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .regex(/^[a-z][a-z0-9_]*$/, "Lower-case letters, digits and '_', starting with a letter");

/** A permission's readable name ("View Users"), unique case-insensitively within its scope. */
const Name = z.string().trim().min(1).max(100).openapi({ example: "Delete Projects" });

/** A permission as the API shows it (the RBAC System's fields in snake_case); `key` is `resource:action`. */
export const PermissionSchema = z
  .object({
    id: z.number().int(),
    name: z.string().openapi({ example: "View Users" }),
    resource: z.string().openapi({ example: "trainings" }),
    action: z.string().openapi({ example: "create" }),
    key: z.string().openapi({ example: "trainings:create" }),
    description: z.string().nullable(),
    organization_id: z.number().int().nullable(),
    is_system: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Permission");

/** A permission as the API shows it. */
export type PermissionView = z.infer<typeof PermissionSchema>;

/** Query of `GET /permissions`: pagination and the filters `organization_id`, `resource`, `action`. */
export const PermissionListQuery = paginationQuery.extend({
  organization_id: z.coerce.number().int().positive().optional().openapi({ description: "Only this organization's" }),
  resource: KeyPart.optional(),
  action: KeyPart.optional(),
});

/** Body of `POST /permissions` (strict). */
export const CreatePermissionBody = z
  .object({
    name: Name,
    resource: KeyPart,
    action: KeyPart,
    description: z.string().trim().max(500).nullable().optional(),
    organization_id: z.number().int().positive().nullable().optional(),
  })
  .strict()
  .openapi("CreatePermissionRequest");

/** Body of `PUT /permissions/{id}` (partial, strict). */
export const UpdatePermissionBody = z
  .object({
    name: Name.optional(),
    resource: KeyPart.optional(),
    action: KeyPart.optional(),
    description: z.string().trim().max(500).nullable().optional(),
  })
  .strict()
  .openapi("UpdatePermissionRequest");

/** `{permission, message?}`. */
export const PermissionEnvelope = z
  .object({ permission: PermissionSchema, message: z.string().optional() })
  .openapi("PermissionEnvelope");

/** `{permissions, total, skip, limit}`. */
export const PermissionList = z
  .object({ permissions: z.array(PermissionSchema), ...pageFields })
  .openapi("PermissionList");
