/**
 * The SSRF guard of webhook targets, applied when an endpoint is saved and before every send (see
 * the create route): the reason a URL is refused, or undefined when it may be called.
 *
 * The WHATWG URL parser has already turned every IPv4 notation (decimal `2130706433`, octal
 * `0177.0.0.1`, hex `0x7f.1`, short forms) into dotted decimal, and IPv6 into its compressed form,
 * so the checks below see one notation each.
 *
 * @example
 *   refusedTarget("https://127.0.0.1/", false) // "the address 127.0.0.1 is private or reserved"
 */
export function refusedTarget(raw: string, allowPrivate: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a valid URL";
  }
  if (url.protocol !== "https:" && !(allowPrivate && url.protocol === "http:")) return "the URL must use https";
  if (url.username || url.password) return "credentials in the URL are not allowed";
  if (allowPrivate) return undefined;
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("[")) {
    const groups = ipv6Groups(host.slice(1, -1));
    if (!groups || privateIpv6(groups)) return `the address ${host} is private or reserved`;
    return undefined;
  }
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const [a, b, c] = v4.slice(1, 4).map(Number) as [number, number, number];
    if (privateIpv4(a, b, c)) return `the address ${host} is private or reserved`;
    return undefined;
  }
  if (!host.includes(".") || /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/.test(host)) {
    return `the host ${host} is internal`;
  }
  return undefined;
}

function privateIpv4(a: number, b: number, c: number): boolean {
  return (
    a === 0 || // "this network"
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // CGNAT 100.64.0.0/10
    (a === 169 && b === 254) || // link-local
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) || // IETF protocol assignments, TEST-NET-1
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113) ||
    a >= 224 // multicast 224/4, reserved 240/4, broadcast
  );
}

/**
 * IPv6 ranges refused: unspecified, loopback, IPv4-mapped, -compatible and -translated, NAT64,
 * 6to4 and Teredo (both carry an IPv4 address to a relay), discard-only, ULA, link- and site-local,
 * multicast, documentation.
 */
function privateIpv6(g: number[]): boolean {
  const [g0 = 0, g1 = 0] = g;
  const zeroPrefix = g.slice(0, 4).every((x) => x === 0);
  // ::, ::1, ::a.b.c.d, ::ffff:a.b.c.d, and the IPv4-translated ::ffff:0:a.b.c.d
  if (zeroPrefix && ((g[4] === 0 && (g[5] === 0 || g[5] === 0xffff)) || (g[4] === 0xffff && g[5] === 0))) return true;
  if (g0 === 0x64 && g1 === 0xff9b) return true; // NAT64 64:ff9b::/96 reaches IPv4 through a translator
  if (g0 === 0x2002) return true; // 6to4 2002::/16
  if (g0 === 0x2001 && g1 === 0) return true; // Teredo 2001::/32
  if (g0 === 0x100 && g1 === 0 && g[2] === 0 && g[3] === 0) return true; // discard-only 100::/64
  if ((g0 & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0) return true; // link-local, site-local
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  if (g0 === 0x2001 && g1 === 0x0db8) return true; // documentation
  return false;
}

/** The eight 16-bit groups of an IPv6 address (with an embedded IPv4 tail), or undefined. */
function ipv6Groups(text: string): number[] | undefined {
  let s = text;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined) => (part ? part.split(":").map((h) => Number.parseInt(h, 16)) : []);
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...new Array(Math.max(0, fill)).fill(0), ...tail];
  return groups.length === 8 && groups.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffff) ? groups : undefined;
}
