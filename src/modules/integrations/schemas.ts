import { z } from "@hono/zod-openapi";

export const IntegrationKeySchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    prefix: z.string().openapi({ example: "ik_3fZq9TbX" }),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
  })
  .openapi("IntegrationKey");

export type IntegrationKeyView = z.infer<typeof IntegrationKeySchema>;

export const CreateIntegrationKeyBody = z
  .object({ name: z.string().trim().min(1).max(100).openapi({ example: "LMS sync" }) })
  .strict()
  .openapi("CreateIntegrationKeyRequest");

export const CreatedIntegrationKey = z
  .object({
    integration_key: IntegrationKeySchema,
    key: z.string().openapi({ description: "The key itself, shown this once", example: "ik_..." }),
  })
  .openapi("CreatedIntegrationKey");

export const IntegrationKeyList = z
  .object({ integration_keys: z.array(IntegrationKeySchema) })
  .openapi("IntegrationKeyList");

export const LoginLinkSchema = z
  .object({
    login_link: z.string().openapi({ example: "https://api.example.com/api/v1/auth/magic-link?token=..." }),
    expires_at: z.string(),
  })
  .openapi("LoginLink");
