/**
 * Scenario: invocations through the runtime to a remote counter function served over HTTP by a
 * separate process (`--sdk ours|official`), in two traffic shapes (`--shape cold|hot`):
 * - cold: 1,000 addresses in turn, 64 messages in flight, so about 1 message per address in
 *   flight and batches of about 1 (64 requests in flight, the floor's concurrency);
 * - hot: 64 addresses in turn, 6,400 messages in flight (about 100 per address), so messages
 *   queue behind each address's request in flight and go in the next batch.
 * The counter forwards each message's value, the time it was submitted (µs on this process's
 * clock, taken just before `offer`), to an embedded sink in this process, which records the end-to-end latency and lets the
 * closed-loop feeder send more. Reported: messages/s, latency p50/p99, invocations per batch
 * (counted by the server), this process's CPU per message, and the server's CPU per invocation.
 */
import { TypedValue, addressOf, intType } from "@statefun-ts/protocol";
import type { Logger } from "@statefun-ts/runtime";
import { createHttpEndpointProvider, createRuntime, parseModuleText } from "@statefun-ts/runtime";
import { createStatefulFunctions } from "@statefun-ts/sdk";
import { LatencySamples, cpuMicros } from "../latency.js";
import { machineBusyMicros, otherProcessesCores } from "../machine.js";
import { progress } from "../progress.js";
import { COUNTER_TYPE, SINK_TYPE, startServerProcess } from "../remote/server-process.js";
import { report } from "../result.js";
import { choiceArg, numberArg } from "./args.js";

const sdk = choiceArg("sdk", ["ours", "official"]);
const shape = choiceArg("shape", ["cold", "hot"]);
const addresses = numberArg("addresses", shape === "cold" ? 1_000 : 64);
const inflight = numberArg("inflight", shape === "cold" ? 64 : 6_400);
const durationMs = numberArg("duration-ms", 5_000);
const warmupMs = numberArg("warmup-ms", 1_500);
const stallMs = numberArg("stall-ms", 30_000);
const scenario = `remote-${sdk}-${shape}`;

function stderrLogger(bindings: object = {}): Logger {
  const line = (level: string) => (fields: object, message: string) =>
    progress(scenario, `${level}: ${message} ${JSON.stringify({ ...bindings, ...fields })}`);
  return {
    error: line("error"),
    warn: line("warn"),
    info: () => {},
    debug: () => {},
    child: (more) => stderrLogger({ ...bindings, ...more }),
  };
}

const server = await startServerProcess(sdk);
const logger = stderrLogger();
const yaml = [
  "kind: io.statefun.endpoints.v2/http",
  "spec:",
  `  functions: ${COUNTER_TYPE.split("/")[0]}/*`,
  `  urlPathTemplate: ${server.url}/{function.name}`,
].join("\n");
const provider = createHttpEndpointProvider(parseModuleText(yaml, "bench.yaml").endpoints, {
  logger,
});

const t0 = performance.now();
const nowMicros = (): number => Math.round((performance.now() - t0) * 1000);
const latency = new LatencySamples();
let sent = 0;
let received = 0;
let recording = false;
let wake: (() => void) | undefined;

const sink = createStatefulFunctions().bind({
  typename: SINK_TYPE,
  fn(_ctx, message) {
    received++;
    if (recording) latency.add((nowMicros() - message.asInt()) / 1000);
    const resume = wake;
    wake = undefined;
    resume?.();
  },
});
const runtime = createRuntime({ functions: [sink], providers: [provider], logger });
const targets = Array.from({ length: addresses }, (_, i) => addressOf(COUNTER_TYPE, `id-${i}`));

// A run that stops making progress (an endpoint failing for good) ends the process, which kills
// the server child; the harness reports the scenario as failed.
let lastReceived = -1;
const watchdog = setInterval(() => {
  if (received === lastReceived && sent > received) {
    const failing = runtime.failures().map((f) => `${f.address.id} (${f.attempts} attempts)`);
    progress(
      scenario,
      `stalled: no message reached the sink for ${stallMs} ms (${sent - received} in flight); failing: ${failing.join(", ") || "none"}`,
    );
    process.exit(1);
  }
  lastReceived = received;
}, stallMs);

function progressed(): Promise<void> {
  return new Promise((resolve) => (wake = resolve));
}

let next = 0;

/** Keeps `inflight` messages between offer and sink until `untilMs`, then waits for all of them. */
async function feed(untilMs: number): Promise<void> {
  while (performance.now() < untilMs) {
    while (sent - received < inflight) {
      const target = targets[next] as (typeof targets)[number];
      next = next + 1 === addresses ? 0 : next + 1;
      const value = TypedValue.of(intType, nowMicros());
      if (!runtime.offer(target, value)) await runtime.submit(target, value);
      sent++;
    }
    await progressed();
  }
  while (received < sent) await progressed();
}

async function snapshot() {
  const counter = runtime.functionStats().find((s) => s.typename === COUNTER_TYPE);
  return {
    at: performance.now(),
    received,
    batches: counter?.invocations ?? 0,
    cpuMicros: cpuMicros(),
    machineBusyMicros: machineBusyMicros() ?? NaN,
    server: await server.counters(),
    attempts: provider.stats.succeededAttempts,
    attemptMs: provider.stats.latencyMsTotal,
  };
}

try {
  progress(scenario, `warming up ${warmupMs} ms (function server pid ${server.pid})`);
  await feed(performance.now() + warmupMs);
  const before = await snapshot();
  progress(scenario, `measuring ${durationMs} ms: ${addresses} addresses, ${inflight} in flight`);
  recording = true;
  await feed(performance.now() + durationMs);
  recording = false;
  const after = await snapshot();
  const seconds = (after.at - before.at) / 1000;
  const messages = after.received - before.received;
  const requests = after.server.requests - before.server.requests;
  const invocations = after.server.invocations - before.server.invocations;
  const serverCpu = after.server.cpuMicros - before.server.cpuMicros;
  const [p50, p99] = latency.percentiles(50, 99);
  const attempts = after.attempts - before.attempts;
  const ownCpu = after.cpuMicros - before.cpuMicros;
  const busy = after.machineBusyMicros - before.machineBusyMicros;
  global.gc?.();
  report({
    scenario,
    figures: [
      { name: "messages/s", value: messages / seconds, unit: "msg/s" },
      { name: "requests/s", value: requests / seconds, unit: "req/s" },
      { name: "invocations/batch", value: invocations / requests, unit: "msg" },
      { name: "latency p50", value: p50 ?? NaN, unit: "ms" },
      { name: "latency p99", value: p99 ?? NaN, unit: "ms" },
      {
        name: "runtime CPU/message",
        value: ownCpu / messages,
        unit: "µs",
      },
      { name: "server CPU/invocation", value: serverCpu / invocations, unit: "µs" },
      { name: "server CPU/request", value: serverCpu / requests, unit: "µs" },
      { name: "heap used", value: process.memoryUsage().heapUsed / 1e6, unit: "MB" },
      {
        name: "other processes' CPU",
        value: otherProcessesCores(busy, ownCpu + serverCpu, seconds),
        unit: "cores",
      },
    ],
    notes: [
      `${addresses} addresses, ${inflight} messages in flight, ${durationMs} ms, ${messages} messages`,
      `runtime: ${after.batches - before.batches} batches, mean HTTP attempt ${((after.attemptMs - before.attemptMs) / attempts).toFixed(2)} ms`,
      `function server (${sdk === "ours" ? "our SDK" : "apache-flink-statefun"}): separate process (pid ${server.pid}), nothing pinned`,
      "runtime CPU includes the embedded sink invocation and the feeder",
    ],
  });
} finally {
  clearInterval(watchdog);
  await runtime.stop();
  await provider.close();
  await server.stop();
}
