import { z } from "@hono/zod-openapi";
import { PASSWORD_MAX_LENGTH } from "../../lib/password";
import { EmailSchema, PasswordSchema, UsernameSchema, UserSchema } from "../access";
import { isSafeNext, NEXT_MAX_LENGTH } from "./next-path";

const optionalText = (max: number) => z.string().trim().max(max).optional();

export const RegisterBody = z
  .object({
    username: UsernameSchema,
    email: EmailSchema,
    password: PasswordSchema,
    full_name: optionalText(200),
    first_name: optionalText(100),
    last_name: optionalText(100),
    office_location: optionalText(200),
    department: optionalText(200),
    organization_ids: z.array(z.number().int().positive()).max(20).optional(),
  })
  .strict()
  .openapi("RegisterRequest");

export const LoginBody = z
  .object({
    username: z.string().trim().min(1).max(254).optional(),
    email: z.string().trim().min(1).max(254).optional(),
    password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
  })
  .strict()
  .refine((b) => Boolean(b.username) !== Boolean(b.email), {
    message: "Give either username or email",
    path: ["username"],
  })
  .openapi("LoginRequest");

export const RefreshBody = z
  .object({ refresh_token: z.string().min(1).max(4096).optional() })
  .strict()
  .openapi("RefreshRequest");

export const ChangePasswordBody = z
  .object({ current_password: z.string().min(1).max(PASSWORD_MAX_LENGTH), new_password: PasswordSchema })
  .strict()
  .openapi("ChangePasswordRequest");

export const TokenPairSchema = z
  .object({
    access_token: z.string(),
    refresh_token: z.string(),
    token_type: z.literal("bearer"),
    expires_in: z.number().int().openapi({ description: "Access token lifetime in seconds", example: 900 }),
    user: UserSchema,
    message: z.string(),
  })
  .openapi("TokenPair");

export const JwksSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi("JWKS");

export const Next = z
  .string()
  .max(NEXT_MAX_LENGTH)
  .refine(isSafeNext, "Must be a relative path of this site, such as /trainings")
  .openapi({ example: "/trainings", description: "Where the form sign-in redirects: a path of this site" });

/** A one-time token as it appears in a link (its format is checked by the flow, with its own code). */
const LinkToken = z.string().min(1).max(200).openapi({ description: "The token from the emailed link" });

export const MagicLinkRequestBody = z
  .object({ email: EmailSchema, next: Next.optional() })
  .strict()
  .openapi("MagicLinkRequest");
export const EmailOnlyBody = z.object({ email: EmailSchema }).strict().openapi("PasswordResetRequest");
export const TokenBody = z.object({ token: LinkToken }).strict().openapi("LinkTokenRequest");
export const TokenQuery = z.object({
  token: z
    .string()
    .max(200)
    .openapi({ param: { name: "token", in: "query" }, description: "The token from the emailed link" }),
});
export const PasswordResetConfirmBody = z
  .object({ token: LinkToken, new_password: PasswordSchema })
  .strict()
  .openapi("PasswordResetConfirmRequest");
