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

export const MfaChallengeSchema = z
  .object({
    mfa_required: z.literal(true),
    mfa_token: z.string().openapi({ description: "Give it to `POST /auth/mfa/verify` with a code (5 minutes, once)" }),
    expires_in: z.number().int().openapi({ example: 300 }),
    message: z.string(),
  })
  .openapi("MfaChallenge");

/** A sign-in's answer: the token pair, or with TOTP on the challenge that `POST /auth/mfa/verify` completes. */
export const SignInSchema = z.union([TokenPairSchema, MfaChallengeSchema]).openapi("SignInResult");

/** A TOTP code (6 digits) or a recovery code (`xxxxx-xxxxx`). */
const MfaCode = z.string().trim().min(6).max(32).openapi({ example: "123456" });

export const MfaVerifyBody = z
  .object({ mfa_token: z.string().min(1).max(200), code: MfaCode })
  .strict()
  .openapi("MfaVerifyRequest");
export const MfaCodeBody = z
  .object({
    code: z
      .string()
      .trim()
      .regex(/^\d{6}$/, "A 6-digit code of your authenticator app"),
  })
  .strict()
  .openapi("MfaCodeRequest");
export const MfaDisableBody = z
  .object({ code: MfaCode.optional(), password: z.string().min(1).max(PASSWORD_MAX_LENGTH).optional() })
  .strict()
  .refine((b) => (b.code === undefined) !== (b.password === undefined), {
    message: "Give either code or password",
    path: ["code"],
  })
  .openapi("MfaDisableRequest");
export const TotpSetupSchema = z
  .object({
    secret: z.string().openapi({ description: "The base32 secret, for typing into an authenticator app" }),
    otpauth_uri: z.string().openapi({ example: "otpauth://totp/Identity%20Training%20API:alice?secret=..." }),
    qr_svg: z.string().openapi({ description: "The otpauth URI as a QR code (an SVG document)" }),
  })
  .openapi("TotpSetup");
export const RecoveryCodesSchema = z
  .object({ recovery_codes: z.array(z.string()).openapi({ description: "Each works once; shown only now" }) })
  .openapi("RecoveryCodes");
