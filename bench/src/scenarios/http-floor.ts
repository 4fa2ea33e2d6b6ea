/**
 * Scenario: the floor of a remote invocation, one HTTP round trip on this machine. An undici Pool
 * (configured as the runtime's transport configures it) POSTs a 100-byte octet-stream body to a
 * node:http server in another process that reads it and answers a fixed 50-byte body; measured
 * at the request concurrency of the remote scenarios, then at concurrency 1 for latency alone.
 */
import { Pool } from "undici";
import { LatencySamples, cpuMicros } from "../latency.js";
import { machineBusyMicros, otherProcessesCores } from "../machine.js";
import { progress } from "../progress.js";
import { startServerProcess } from "../remote/server-process.js";
import { report } from "../result.js";
import { numberArg } from "./args.js";

const concurrency = numberArg("concurrency", 64);
const durationMs = numberArg("duration-ms", 5_000);
const serialMs = numberArg("serial-duration-ms", 1_500);
const warmupMs = numberArg("warmup-ms", 1_000);

// The runtime's request headers (packages/runtime/src/remote/http-transport.ts).
const BODY = Buffer.alloc(100, 1);
const HEADERS = {
  "content-type": "application/octet-stream",
  accept: "application/octet-stream",
  "accept-encoding": "gzip, deflate",
  "user-agent": "statefun",
  "content-length": String(BODY.byteLength),
};

interface Run {
  readonly requests: number;
  readonly seconds: number;
  readonly latency: LatencySamples;
  readonly clientCpuMicros: number;
  readonly serverCpuMicros: number;
  /** Cores other processes kept busy meanwhile (NaN without /proc/stat). */
  readonly otherCores: number;
}

const server = await startServerProcess("floor");
const pool = new Pool(server.url, {
  connections: 1024,
  keepAliveTimeout: 600_000,
  keepAliveMaxTimeout: 600_000,
});

async function roundTrip(): Promise<void> {
  const response = await pool.request({ method: "POST", path: "/", headers: HEADERS, body: BODY });
  let bytes = 0;
  for await (const chunk of response.body) bytes += (chunk as Buffer).byteLength;
  if (response.statusCode !== 200 || bytes !== 50) {
    throw new Error(`unexpected reply: HTTP ${response.statusCode}, ${bytes} bytes`);
  }
}

async function run(workers: number, forMs: number): Promise<Run> {
  const latency = new LatencySamples();
  const serverBefore = await server.counters();
  const cpuBefore = cpuMicros();
  const busyBefore = machineBusyMicros() ?? NaN;
  const start = performance.now();
  const end = start + forMs;
  let requests = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const sent = performance.now();
      await roundTrip();
      latency.add(performance.now() - sent);
      requests++;
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  const seconds = (performance.now() - start) / 1000;
  const clientCpuMicros = cpuMicros() - cpuBefore;
  const busy = (machineBusyMicros() ?? NaN) - busyBefore;
  const serverAfter = await server.counters();
  const serverCpuMicros = serverAfter.cpuMicros - serverBefore.cpuMicros;
  return {
    requests,
    seconds,
    latency,
    clientCpuMicros,
    serverCpuMicros,
    otherCores: otherProcessesCores(busy, clientCpuMicros + serverCpuMicros, seconds),
  };
}

try {
  progress("http-floor", `warming up ${warmupMs} ms (server pid ${server.pid})`);
  await run(concurrency, warmupMs);
  progress("http-floor", `measuring ${durationMs} ms at concurrency ${concurrency}`);
  const parallel = await run(concurrency, durationMs);
  progress("http-floor", `measuring ${serialMs} ms at concurrency 1`);
  const serial = await run(1, serialMs);
  const [p50, p99] = parallel.latency.percentiles(50, 99);
  const [serialP50, serialP99] = serial.latency.percentiles(50, 99);
  report({
    scenario: "http-floor",
    figures: [
      { name: "requests/s", value: parallel.requests / parallel.seconds, unit: "req/s" },
      { name: "latency p50", value: p50 ?? NaN, unit: "ms" },
      { name: "latency p99", value: p99 ?? NaN, unit: "ms" },
      {
        name: "client CPU/request",
        value: parallel.clientCpuMicros / parallel.requests,
        unit: "µs",
      },
      {
        name: "server CPU/request",
        value: parallel.serverCpuMicros / parallel.requests,
        unit: "µs",
      },
      { name: "c1 requests/s", value: serial.requests / serial.seconds, unit: "req/s" },
      { name: "c1 latency p50", value: serialP50 ?? NaN, unit: "ms" },
      { name: "c1 latency p99", value: serialP99 ?? NaN, unit: "ms" },
      {
        name: "other processes' CPU",
        value: parallel.otherCores,
        unit: "cores",
      },
    ],
    notes: [
      `undici ${concurrency} in flight, ${BODY.byteLength} B request, 50 B reply, ${durationMs} ms`,
      `server: node:http in a separate process (pid ${server.pid}), nothing pinned`,
    ],
  });
} finally {
  await pool.destroy();
  await server.stop();
}
