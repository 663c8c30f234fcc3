/** The media type of a `Content-Type` value: without its parameters, trimmed, lowercased (`""` for none). */
export function mediaTypeOf(contentType: string | null | undefined): string {
  return contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
}

/**
 * Whether a media type (as `mediaTypeOf` gives it) is JSON: `application/json` and every
 * `application/<x>+json` (problem details, JSON merge patch). The same test as Hono's JSON
 * validator, so that what the body guard and a route's media-type gate let through is what the
 * validator parses.
 */
export function isJsonMediaType(mediaType: string): boolean {
  return JSON_MEDIA_TYPE.test(mediaType);
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json$/;
