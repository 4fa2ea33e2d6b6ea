/**
 * Scenario: how long a durable HTTP ingress takes to acknowledge. `statefun run` serves the
 * greeter example in its own process with exactly-once checkpoints into a local state directory;
 * this process PUTs greet requests at a fixed rate (open loop: a request is sent when it is due,
 * whatever the earlier ones are doing), each with an `Idempotency-Key`. A 200 means the message is
 * in a durable checkpoint, so the latency includes the checkpoint that made it durable. Latency
 * is measured from when a request was due, so a stalled server cannot hide its stall by delaying
 * the requests behind it. Meanwhile a consumer reads the greetings from the playground egress
 * (long-polling `GET /greetings`, several at a time) as a real one would, so the egress queue does
 * not grow all run long; the run ends once every greeting was read.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Pool, request } from "undici";
import { STATEFUN_BIN, executableNodeArgs } from "../executable.js";
import { LatencySamples, cpuMicros, latencyFigures } from "../latency.js";
import { machineBusyMicros, otherProcessesCores } from "../machine.js";
import { openLoop } from "../open-loop.js";
import { progress } from "../progress.js";
import { report } from "../result.js";
import { choiceArg, numberArg } from "./args.js";

const rate = numberArg("rate", 1_000);
const durationMs = numberArg("duration-ms", 10_000);
const warmupMs = numberArg("warmup-ms", 2_000);
const names = numberArg("names", 1_000);
/**
 * `off` runs the runtime without checkpoints (acknowledged before anything is durable): the same
 * load and the same process without durability, to read the durable figures against.
 */
const checkpointing = choiceArg("checkpointing", ["on", "off"]);
const scenario = checkpointing === "on" ? "ingress-latency" : "ingress-latency-volatile";
/** Concurrent long polls of the egress consumer. */
const readers = numberArg("readers", 32);
/** Longest wait for the consumer to read the last greetings after the load, in ms. */
const DRAIN_DEADLINE_MS = 30_000;
const TOPIC = "greetings";

const GREETER = fileURLToPath(
  new URL("../../../../examples/greeter/dist/src/functions.js", import.meta.url),
);

const dir = mkdtempSync(join(tmpdir(), "statefun-bench-ingress-"));
const moduleFile = join(dir, "module.yaml");
writeFileSync(
  moduleFile,
  [
    "kind: io.statefun-ts.v1/embedded",
    "spec:",
    `  module: ${JSON.stringify(GREETER)}`,
    "---",
    "kind: io.statefun.playground.v1/ingress",
    "spec:",
    "  port: 0",
    "---",
    "kind: io.statefun.playground.v1/egress",
    "spec:",
    "  port: 0",
    "  topics: [greetings]",
  ].join("\n"),
);

const server = spawn(
  process.execPath,
  [
    // As the executable's shebang runs it.
    ...executableNodeArgs(),
    STATEFUN_BIN,
    "run",
    moduleFile,
    "--state-dir",
    join(dir, "state"),
    "--admin-port",
    "0",
    "--admin-host",
    "127.0.0.1",
    ...(checkpointing === "on" ? [] : ["--no-checkpointing"]),
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const kill = (): void => void server.kill("SIGKILL");

/** CPU time (user + system) of the server process in µs, from /proc; NaN where there is none. */
function serverCpuMicros(): number {
  try {
    const stat = readFileSync(`/proc/${server.pid}/stat`, "utf8");
    // Fields from the state on (field 3), after the command name that may hold spaces: utime
    // and stime are fields 14 and 15, in USER_HZ ticks (100 per second on Linux).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return NaN;
  }
}
process.on("exit", kill);

/** A component of the `statefun started` log line. */
interface Listener {
  readonly port: number;
  readonly topics?: readonly string[];
}

/**
 * The ports from the runtime's `statefun started` log line. The child's later log lines are read
 * and ignored (its stdout must be drained).
 */
const ports = await new Promise<{ ingress: number; egress: number; admin: number }>(
  (resolve, reject) => {
    let pending = "";
    let started = false;
    server.once("exit", (code) => reject(new Error(`statefun exited (${code}) before starting`)));
    server.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      if (started) return;
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const parsed = JSON.parse(line) as {
          msg?: string;
          ingresses?: Listener[];
          egresses?: Listener[];
          admin?: Listener;
        };
        if (parsed.msg !== "statefun started") continue;
        started = true;
        const ingress = parsed.ingresses?.[0]?.port;
        const egress = parsed.egresses?.find((e) => e.topics?.includes(TOPIC) === true)?.port;
        const admin = parsed.admin?.port;
        if (ingress === undefined || egress === undefined || admin === undefined) {
          reject(new Error(`expected ingress, egress and admin ports, found ${line}`));
        } else {
          resolve({ ingress, egress, admin });
        }
        return;
      }
    });
  },
);

const origin = `http://127.0.0.1:${ports.ingress}`;
const pool = new Pool(origin, { connections: 256 });
const samples = new LatencySamples();
let failures = 0;
let acknowledged = 0;
let sequence = 0;

async function put(dueAt: number, measured: boolean): Promise<void> {
  const name = `person-${sequence % names}`;
  const key = `bench-${sequence++}`;
  try {
    const response = await pool.request({
      method: "PUT",
      path: `/example/person/${name}`,
      headers: { "content-type": "application/vnd.example/GreetRequest", "idempotency-key": key },
      body: JSON.stringify({ name }),
    });
    await response.body.dump();
    if (response.statusCode !== 200) failures++;
    else {
      acknowledged++;
      if (measured) samples.add(performance.now() - dueAt);
    }
  } catch {
    failures++;
  }
}

/** The runtime's checkpoint figures, from the admin API. */
interface CheckpointFigures {
  readonly completed: number;
  readonly lastDurationMs: number;
  readonly lastBytes: number;
  readonly maxPauseMs: number;
}

async function checkpointFigures(): Promise<CheckpointFigures> {
  const response = await request(`http://127.0.0.1:${ports.admin}/v1/checkpoints`);
  const body = (await response.body.json()) as { stats?: Partial<CheckpointFigures> | null };
  const {
    completed = NaN,
    lastDurationMs = NaN,
    lastBytes = NaN,
    maxPauseMs = NaN,
  } = body.stats ?? {};
  return { completed, lastDurationMs, lastBytes, maxPauseMs };
}

/** The latency bounds of the targets, in ms: ack p50 under the first, p99 under the second. */
const TARGET_BOUNDS_MS = [5, 25] as const;

/**
 * Cumulative counts of the runtime's own histogram of acknowledged ingress submissions (from the
 * ingress handing the request's message to the runtime to its acknowledgement: without the HTTP
 * exchange's, the client's and the network's share), by upper bound in ms. The targets' bounds
 * are bucket bounds, so the shares within them are exact.
 */
async function serverAcknowledgements(): Promise<Map<number, number>> {
  const response = await request(`http://127.0.0.1:${ports.admin}/metrics`);
  const counts = new Map<number, number>();
  for (const line of (await response.body.text()).split("\n")) {
    const match = /^statefun_ingress_submission_duration_seconds_bucket\{(.*)\} (\S+)$/u.exec(line);
    if (match === null || !(match[1] as string).includes('outcome="acknowledged"')) continue;
    const bound = /le="([^"]+)"/u.exec(match[1] as string)?.[1];
    const ms = bound === "+Inf" ? Infinity : Number(bound) * 1000;
    counts.set(ms, (counts.get(ms) ?? 0) + Number(match[2]));
  }
  for (const ms of [...TARGET_BOUNDS_MS, Infinity]) {
    if (!counts.has(ms))
      throw new Error(`the runtime's ingress histogram has no bucket of ${ms} ms`);
  }
  return counts;
}

/** The share of acknowledgements between two histogram scrapes that took at most `ms`, in %. */
function shareWithin(before: Map<number, number>, after: Map<number, number>, ms: number): number {
  const delta = (bound: number): number => (after.get(bound) ?? NaN) - (before.get(bound) ?? NaN);
  return (100 * delta(ms)) / delta(Infinity);
}

const egressPool = new Pool(`http://127.0.0.1:${ports.egress}`, { connections: readers });
let greetingsRead = 0;
let egressFailures = 0;
let egressError = "";
let consuming = true;

/** One reader of the consumer: long-polls `GET /greetings` until the consumer stops or fails. */
async function readGreetings(): Promise<void> {
  while (consuming) {
    try {
      const response = await egressPool.request({ method: "GET", path: `/${TOPIC}?waitMs=200` });
      const greeting = await response.body.text();
      if (response.statusCode === 200 && greeting.length > 0) greetingsRead++;
      else if (response.statusCode !== 204) throw new Error(`status ${response.statusCode}`);
    } catch (error) {
      egressFailures++;
      egressError ||= String(error);
      return;
    }
  }
}

/** Resolves once the consumer read a greeting for every acknowledged request, or at a deadline. */
async function drained(): Promise<void> {
  const deadline = performance.now() + DRAIN_DEADLINE_MS;
  while (greetingsRead < acknowledged && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const consumer = Promise.all(Array.from({ length: readers }, readGreetings));
progress(scenario, `warming up ${warmupMs} ms at ${rate} req/s`);
await openLoop(rate, warmupMs, (dueAt) => put(dueAt, false));
const checkpointsBefore = (await checkpointFigures()).completed;
const serverBefore = await serverAcknowledgements();
const cpuBefore = cpuMicros();
const serverCpuBefore = serverCpuMicros();
const busyBefore = machineBusyMicros() ?? NaN;
const readBefore = greetingsRead;
progress(scenario, `measuring ${durationMs} ms at ${rate} req/s`);
const achieved = await openLoop(rate, durationMs, (dueAt) => put(dueAt, true));
const clientCpu = (cpuMicros() - cpuBefore) / 1e6;
const serverCpu = (serverCpuMicros() - serverCpuBefore) / 1e6;
const otherCores = otherProcessesCores(
  (machineBusyMicros() ?? NaN) - busyBefore,
  (clientCpu + serverCpu) * 1e6,
  durationMs / 1000,
);
const readDuring = greetingsRead - readBefore;
const checkpointsAfter = await checkpointFigures();
const serverAfter = await serverAcknowledgements();
const checkpoints = checkpointsAfter.completed - checkpointsBefore;
await pool.close();
await drained();
consuming = false;
await consumer;
await egressPool.close();
server.kill("SIGTERM");
await new Promise((resolve) => server.once("exit", resolve));
process.off("exit", kill);
rmSync(dir, { recursive: true, force: true });
if (failures > 0) throw new Error(`${failures} requests were not acknowledged with 200`);
if (egressFailures > 0) {
  throw new Error(`${egressFailures} egress readers failed, the first with ${egressError}`);
}
if (greetingsRead !== acknowledged) {
  throw new Error(
    `expected ${acknowledged} greetings (one per acknowledged request), the consumer read ${greetingsRead} within ${DRAIN_DEADLINE_MS} ms`,
  );
}

report({
  scenario,
  figures: [
    { name: "requests/s", value: achieved, unit: "req/s" },
    ...latencyFigures("ack", samples),
    ...TARGET_BOUNDS_MS.flatMap((ms) => [
      { name: `acks within ${ms} ms`, value: samples.shareAtMost(ms), unit: "%" },
      {
        name: `server acks within ${ms} ms`,
        value: shareWithin(serverBefore, serverAfter, ms),
        unit: "%",
      },
    ]),
    { name: "greetings read/s", value: readDuring / (durationMs / 1000), unit: "records/s" },
    ...(checkpointing === "on"
      ? [
          { name: "checkpoints/s", value: checkpoints / (durationMs / 1000), unit: "1/s" },
          { name: "last checkpoint", value: checkpointsAfter.lastDurationMs, unit: "ms" },
          { name: "last checkpoint size", value: checkpointsAfter.lastBytes / 1e3, unit: "kB" },
          { name: "max cut pause", value: checkpointsAfter.maxPauseMs, unit: "ms" },
        ]
      : []),
    { name: "server CPU", value: serverCpu / (durationMs / 1000), unit: "cores" },
    { name: "client CPU", value: clientCpu / (durationMs / 1000), unit: "cores" },
    { name: "other processes' CPU", value: otherCores, unit: "cores" },
  ],
  notes: [
    checkpointing === "on"
      ? "greeter under statefun run, exactly-once checkpoints to a local state directory"
      : "greeter under statefun run --no-checkpointing: nothing is durable (baseline)",
    `${samples.count} PUTs with Idempotency-Key over ${names} names, open loop at ${rate} req/s`,
    `${greetingsRead} greetings read from the egress by ${readers} long polls (client CPU includes them)`,
    ...(checkpointing === "on"
      ? ["targets: ack p50 < 5 ms, ack p99 < 25 ms (from each request's due time)"]
      : []),
    "server acks: the runtime's own histogram, from submission to acknowledgement (no HTTP, client or network)",
  ],
});
