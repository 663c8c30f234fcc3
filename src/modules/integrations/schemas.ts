import * as z from "zod/mini";
import { doc, named } from "../../lib/openapi";

export const IntegrationKeySchema = named(
  z.object({
    id: z.int(),
    name: z.string(),
    prefix: doc(z.string(), { example: "ik_3fZq9TbX" }),
    created_at: z.string(),
    last_used_at: z.nullable(z.string()),
  }),
  "IntegrationKey",
);

export type IntegrationKeyView = z.infer<typeof IntegrationKeySchema>;

export const CreateIntegrationKeyBody = named(
  z.strictObject({ name: doc(z.string().check(z.trim(), z.minLength(1), z.maxLength(100)), { example: "LMS sync" }) }),
  "CreateIntegrationKeyRequest",
);

export const CreatedIntegrationKey = named(
  z.object({
    integration_key: IntegrationKeySchema,
    key: doc(z.string(), { description: "The key itself, shown this once", example: "ik_..." }),
  }),
  "CreatedIntegrationKey",
);

export const IntegrationKeyList = named(
  z.object({ integration_keys: z.array(IntegrationKeySchema) }),
  "IntegrationKeyList",
);

export const LoginLinkSchema = named(
  z.object({
    login_link: doc(z.string(), { example: "https://api.example.com/api/v1/auth/magic-link?token=..." }),
    expires_at: z.string(),
  }),
  "LoginLink",
);
