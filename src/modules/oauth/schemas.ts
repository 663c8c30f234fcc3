import * as z from "zod/mini";
import { doc, named } from "../../lib/openapi";
import { Next } from "../auth";

export const ProviderParam = z.object({
  provider: doc(z.string().check(z.maxLength(32)), { example: "google", description: "`google`, `github` or `oidc`" }),
});

export const StartQuery = z.object({ next: z.optional(Next) });

/** What a provider sends back (other parameters it adds, such as `scope`, are ignored). */
export const CallbackQuery = z.object({
  code: z.optional(z.string().check(z.maxLength(4096))),
  state: z.optional(z.string().check(z.maxLength(128))),
  error: z.optional(z.string().check(z.maxLength(256))),
  error_description: z.optional(z.string().check(z.maxLength(1024))),
});

export const ProviderList = named(
  z.object({
    providers: z.array(
      z.object({
        provider: z.enum(["google", "github", "oidc"]),
        name: doc(z.string(), { example: "Google" }),
        authorization_url: doc(z.string(), {
          example: "/api/v1/auth/oauth/google",
          description: "Open it (a browser navigation) to sign in",
        }),
      }),
    ),
  }),
  "OAuthProviders",
);
