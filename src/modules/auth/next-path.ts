/** Longest `next` accepted. */
export const NEXT_MAX_LENGTH = 512;

/**
 * True when `next` is a path of this site that a redirect may go to: it starts with one `/`, and
 * neither it nor its percent-decoded form holds `//`, a backslash, a scheme, control characters or
 * anything that a browser could read as another host (`//evil`, `/\evil`, `/%2F%2Fevil`,
 * `https://evil`, `javascript:`).
 */
export function isSafeNext(next: string): boolean {
  if (next.length === 0 || next.length > NEXT_MAX_LENGTH) return false;
  let decoded = next;
  // Decode repeatedly (a double-encoded `%252F` becomes `/` after two rounds), at most a few times.
  for (let i = 0; i < 3; i++) {
    let once: string;
    try {
      once = decodeURIComponent(decoded);
    } catch {
      return false;
    }
    if (once === decoded) break;
    decoded = once;
  }
  for (const candidate of [next, decoded]) {
    if (!candidate.startsWith("/")) return false;
    if (candidate.startsWith("//")) return false;
    if (candidate.includes("\\") || [...candidate].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) {
      return false;
    }
  }
  const base = "https://this-site.invalid";
  try {
    return new URL(next, base).origin === base && new URL(decoded, base).origin === base;
  } catch {
    return false;
  }
}
