/** API version reported by `GET /` and the OpenAPI document. */
export const API_VERSION = "1.0.0";
/** Base path of every endpoint but the banner, docs and JWKS. */
export const API_PREFIX = "/api/v1";
