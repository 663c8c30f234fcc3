import * as z from "zod/mini";
import { doc } from "./openapi";

/** An explicit UTC designator or offset at the end of an ISO 8601 date-time (`Z`, `+02:00`, `-0530`). */
const OFFSET = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/** What a refused date-time is told. */
export const DATE_TIME_MESSAGE =
  "Expected an ISO 8601 date-time such as 2026-03-02T09:00:00Z, or a date such as 2026-03-02";

/**
 * `value` (already in one of the accepted forms) as stored everywhere: UTC with milliseconds and `Z`.
 * A date-time without an offset is UTC (clients built on Python's naive `datetime` send
 * `2024-01-15T09:00:00`), a plain date is midnight UTC.
 */
export function toUtcIso(value: string): string | undefined {
  const withZone = value.includes("T") ? (OFFSET.test(value) ? value : `${value}Z`) : `${value}T00:00:00Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/**
 * The one date-time input of the API (bodies and queries alike): ISO 8601 with `Z`, an offset, or no
 * offset at all (read as UTC), fractional seconds allowed, or a plain date (midnight UTC). The
 * validated value is normalized to UTC `YYYY-MM-DDTHH:MM:SS.sssZ`, the form every answer shows.
 *
 * @example
 *   const Query = z.object({ start_date: DateTimeInput.optional() }); // "2024-01-15T09:00:00" -> "2024-01-15T09:00:00.000Z"
 */
export const DateTimeInput = doc(
  z.pipe(
    z.union([z.iso.datetime({ offset: true, local: true }), z.iso.date()], { error: DATE_TIME_MESSAGE }),
    z.transform((value, ctx) => {
      const iso = toUtcIso(value);
      if (iso === undefined) {
        ctx.issues.push({ code: "custom", message: DATE_TIME_MESSAGE, input: value });
        return z.NEVER;
      }
      return iso;
    }),
  ),
  {
    example: "2026-03-02T09:00:00Z",
    description:
      "ISO 8601 date-time with `Z`, an offset, or none (read as UTC), or a date (midnight UTC); answered in UTC with `Z`",
  },
);
