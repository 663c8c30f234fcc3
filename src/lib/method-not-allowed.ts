/**
 * Finds the methods registered for a path, so that an unmatched method on a known path answers 405
 * with `Allow` instead of 404.
 */
export class RouteIndex {
  private compiled: { method: string; re: RegExp }[] | undefined;

  constructor(private readonly routes: () => readonly { method: string; path: string }[]) {}

  /** Methods (upper case) whose routes match `path`; empty when the path is unknown. */
  allowedMethods(path: string): string[] {
    this.compiled ??= this.routes()
      .filter((r) => r.method !== "ALL")
      .map((r) => ({ method: r.method.toUpperCase(), re: toRegExp(r.path) }));
    const out = new Set<string>();
    for (const r of this.compiled) if (r.re.test(path)) out.add(r.method);
    if (out.has("GET")) out.add("HEAD");
    return [...out];
  }
}

function toRegExp(path: string): RegExp {
  const pattern = path
    .split("/")
    .map((seg) => {
      if (seg === "*") return ".*";
      if (seg.startsWith(":")) return "[^/]+";
      return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return new RegExp(`^${pattern}/?$`);
}
