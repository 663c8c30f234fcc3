import * as z from "zod/mini";
import { doc, named } from "../../lib/openapi";
import { PASSWORD_MAX_LENGTH } from "../../lib/password";
import { EmailSchema, PasswordSchema, UsernameSchema, UserSchema } from "../access";
import { isSafeNext, NEXT_MAX_LENGTH } from "./next-path";

const optionalText = (max: number) => z.optional(z.string().check(z.trim(), z.maxLength(max)));

export const RegisterBody = named(
  z.strictObject({
    username: UsernameSchema,
    email: EmailSchema,
    password: PasswordSchema,
    full_name: optionalText(200),
    first_name: optionalText(100),
    last_name: optionalText(100),
    office_location: optionalText(200),
    department: optionalText(200),
    organization_ids: z.optional(z.array(z.int().check(z.positive())).check(z.maxLength(20))),
  }),
  "RegisterRequest",
);

export const LoginBody = named(
  z
    .strictObject({
      username: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(254))),
      email: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(254))),
      password: z.string().check(z.minLength(1), z.maxLength(PASSWORD_MAX_LENGTH)),
    })
    .check(
      z.refine((b) => Boolean(b.username) !== Boolean(b.email), {
        message: "Give either username or email",
        path: ["username"],
      }),
    ),
  "LoginRequest",
);

export const RefreshBody = named(
  z.strictObject({ refresh_token: z.optional(z.string().check(z.minLength(1), z.maxLength(4096))) }),
  "RefreshRequest",
);

export const ChangePasswordBody = named(
  z.strictObject({
    current_password: z.string().check(z.minLength(1), z.maxLength(PASSWORD_MAX_LENGTH)),
    new_password: PasswordSchema,
  }),
  "ChangePasswordRequest",
);

export const TokenPairSchema = named(
  z.object({
    access_token: z.string(),
    refresh_token: z.string(),
    token_type: z.literal("bearer"),
    expires_in: doc(z.int(), { description: "Access token lifetime in seconds", example: 900 }),
    user: UserSchema,
    message: z.string(),
  }),
  "TokenPair",
);

export const JwksSchema = named(z.object({ keys: z.array(z.record(z.string(), z.unknown())) }), "JWKS");

export const Next = doc(
  z
    .string()
    .check(
      z.maxLength(NEXT_MAX_LENGTH),
      z.refine(isSafeNext, "Must be a relative path of this site, such as /trainings"),
    ),
  { example: "/trainings", description: "Where the form sign-in redirects: a path of this site" },
);

/** A one-time token as it appears in a link (its format is checked by the flow, with its own code). */
const LinkToken = doc(z.string().check(z.minLength(1), z.maxLength(200)), {
  description: "The token from the emailed link",
});

export const MagicLinkRequestBody = named(
  z.strictObject({ email: EmailSchema, next: z.optional(Next) }),
  "MagicLinkRequest",
);
export const EmailOnlyBody = named(z.strictObject({ email: EmailSchema }), "PasswordResetRequest");
export const TokenBody = named(z.strictObject({ token: LinkToken }), "LinkTokenRequest");
export const TokenQuery = z.object({
  token: doc(z.string().check(z.maxLength(200)), { description: "The token from the emailed link" }),
});
export const PasswordResetConfirmBody = named(
  z.strictObject({ token: LinkToken, new_password: PasswordSchema }),
  "PasswordResetConfirmRequest",
);

export const MfaChallengeSchema = named(
  z.object({
    mfa_required: z.literal(true),
    mfa_token: doc(z.string(), { description: "Give it to `POST /auth/mfa/verify` with a code (5 minutes, once)" }),
    expires_in: doc(z.int(), { example: 300 }),
    message: z.string(),
  }),
  "MfaChallenge",
);

/** A sign-in's answer: the token pair, or with TOTP on the challenge that `POST /auth/mfa/verify` completes. */
export const SignInSchema = named(z.union([TokenPairSchema, MfaChallengeSchema]), "SignInResult");

/** A TOTP code (6 digits) or a recovery code (`xxxxx-xxxxx`). */
const MfaCode = doc(z.string().check(z.trim(), z.minLength(6), z.maxLength(32)), { example: "123456" });

export const MfaVerifyBody = named(
  z.strictObject({ mfa_token: z.string().check(z.minLength(1), z.maxLength(200)), code: MfaCode }),
  "MfaVerifyRequest",
);
export const MfaCodeBody = named(
  z.strictObject({
    code: z.string().check(z.trim(), z.regex(/^\d{6}$/, "A 6-digit code of your authenticator app")),
  }),
  "MfaCodeRequest",
);
export const MfaDisableBody = named(
  z
    .strictObject({
      code: z.optional(MfaCode),
      password: z.optional(z.string().check(z.minLength(1), z.maxLength(PASSWORD_MAX_LENGTH))),
    })
    .check(
      z.refine((b) => (b.code === undefined) !== (b.password === undefined), {
        message: "Give either code or password",
        path: ["code"],
      }),
    ),
  "MfaDisableRequest",
);
export const TotpSetupSchema = named(
  z.object({
    secret: doc(z.string(), { description: "The base32 secret, for typing into an authenticator app" }),
    otpauth_uri: doc(z.string(), { example: "otpauth://totp/Identity%20Training%20API:alice?secret=..." }),
    qr_svg: doc(z.string(), { description: "The otpauth URI as a QR code (an SVG document)" }),
  }),
  "TotpSetup",
);
export const RecoveryCodesSchema = named(
  z.object({ recovery_codes: doc(z.array(z.string()), { description: "Each works once; shown only now" }) }),
  "RecoveryCodes",
);
