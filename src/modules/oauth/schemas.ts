import { z } from "@hono/zod-openapi";
import { Next } from "../auth";

export const ProviderParam = z.object({
  provider: z
    .string()
    .max(32)
    .openapi({
      param: { name: "provider", in: "path" },
      example: "google",
      description: "`google`, `github` or `oidc`",
    }),
});

export const StartQuery = z.object({ next: Next.optional() });

/** What a provider sends back (other parameters it adds, such as `scope`, are ignored). */
export const CallbackQuery = z.object({
  code: z.string().max(4096).optional(),
  state: z.string().max(128).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(1024).optional(),
});

export const ProviderList = z
  .object({
    providers: z.array(
      z.object({
        provider: z.enum(["google", "github", "oidc"]),
        name: z.string().openapi({ example: "Google" }),
        authorization_url: z
          .string()
          .openapi({ example: "/api/v1/auth/oauth/google", description: "Open it (a browser navigation) to sign in" }),
      }),
    ),
  })
  .openapi("OAuthProviders");
