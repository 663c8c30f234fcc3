// Shared by the headless-Chromium checks (check-docs.mjs, check-pages.mjs): the local API they load
// and the browser they load it in. Needs Debian's chromium (`apt-get install chromium`);
// CHROMIUM=/path overrides the binary.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const root = new URL("..", import.meta.url).pathname;

/** The Chromium binary, or exits 2 with how to install it. */
export function findChromium() {
  const chromium = process.env.CHROMIUM ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
  if (!chromium) {
    console.error("chromium not found: apt-get install chromium (or set CHROMIUM)");
    process.exit(2);
  }
  return chromium;
}

/**
 * Flags of a headless run with no network beyond this machine: no background networking, updates or
 * sync (the workplace refuses those connections), a fresh profile each time.
 */
export function headlessFlags() {
  return [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--user-data-dir=${mkdtempSync(join(tmpdir(), "headless-check-"))}`,
  ];
}

/** Runs Chromium with `args`; returns what it printed (a dumped DOM can be several MiB). */
export function runChromium(chromium, args) {
  return execFileSync(chromium, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/**
 * Starts the API with `npm run dev` (its script) on 127.0.0.1:`port`, with `args` added, and waits
 * until `/api/v1/health` answers. Returns its base URL and `stop()`.
 */
export async function startLocalApi(port, args = []) {
  const server = spawn(process.execPath, ["scripts/dev.mjs", "--port", port, "--ip", "127.0.0.1", ...args], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    detached: true,
  });
  const stop = () => {
    try {
      process.kill(-server.pid, "SIGTERM");
    } catch {}
  };
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/api/v1/health`)).ok) return { base, stop };
    } catch {}
    if (i > 120) {
      stop();
      throw new Error("the API did not start");
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
