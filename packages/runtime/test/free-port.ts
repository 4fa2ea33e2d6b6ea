/**
 * Free TCP ports for tests that must know a port before anything listens on it: the chaos test's
 * runtime ports, and an endpoint that is down (nothing may answer there).
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** The lowest port the OS hands to listeners of port 0 (Linux's setting, else its default). */
function ephemeralLow(): number {
  try {
    const low = Number(
      readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").split(/\s+/)[0],
    );
    if (Number.isInteger(low) && low > 11_000) return low;
  } catch {
    // Not Linux: its default range starts at 32768 too.
  }
  return 32_768;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "0.0.0.0", () => server.close(() => resolve(true)));
  });
}

/**
 * A port free on all interfaces, chosen below the ephemeral range: servers that other tests run
 * meanwhile listen on port 0 and so never get it between its check here and its use.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port found from 10000 to ${low}`);
}
