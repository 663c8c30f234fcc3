// The better-auth Worker `npm run bench` compares this API's sign-in and session read with (issue 18):
// better-auth (the exact version pinned in ./package.json) with email and password on the D1 binding
// `DB`, built and served the same way as the API. Every setting is better-auth's default except:
//   - `rateLimit.enabled: false`: better-auth turns its limiter on only when NODE_ENV is "production",
//     which a Worker's environment does not set, so this is what it does here anyway; written out so
//     that it stays off (the API is benchmarked with RATE_LIMITS_ENABLED=false too).
//   - `baseURL` from the BETTER_AUTH_URL binding (the address the bench serves it on), `secret` from
//     BETTER_AUTH_SECRET: both required settings, without which better-auth warns or refuses.
// Defaults kept: scrypt password hashing (N=16384, r=16, p=1, 64-byte key; node:crypto's native scrypt
// on workerd through the "workerd" export condition), database sessions (a 7-day session, its expiry
// pushed at most once a day), cookie cache off, telemetry off, origin check on (it refuses a request
// with cookies or Fetch Metadata headers and no trusted Origin, so the bench's POSTs send the Origin
// of its baseURL, as its own pages would).
import { betterAuth } from "better-auth";

/** better-auth's options for this Worker's bindings (also read by ./schema.mjs to generate schema.sql). */
export const authOptions = (env) => ({
  database: env.DB,
  baseURL: env.BETTER_AUTH_URL,
  secret: env.BETTER_AUTH_SECRET,
  emailAndPassword: { enabled: true },
  rateLimit: { enabled: false },
});

// One instance per isolate, as a Worker would keep it (the bindings do not change between requests).
let auth;

export default {
  fetch(request, env) {
    auth ??= betterAuth(authOptions(env));
    return auth.handler(request);
  },
};
