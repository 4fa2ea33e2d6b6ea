/**
 * Scenario: state far larger than the heap. Millions of addresses each get a 100-byte value on
 * the disk backend (run under --max-old-space-size=512), with checkpointing on: write and read
 * throughput, the heap's peak, the size of the checkpoint files once every address is written and
 * of the incremental checkpoint(s) after 1% of the addresses changed, the write throughput over a
 * working set that fits the cache, the time to restart on the database a clean stop kept, and the
 * time to restore everything into a new runtime (as after a crash). The write rate is also given
 * for the slowest 5 seconds of the writes, as it falls while the state grows. The runtime runs
 * with its default bounds on queued messages and addresses; `--max-backlog <n>` and
 * `--max-queued-addresses <n>` set them.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TypedValue, addressOf } from "@statefun-ts/protocol";
import type { Runtime } from "@statefun-ts/runtime";
import {
  createLocalCheckpointStorage,
  createRuntime,
  resolveRuntimeOptions,
} from "@statefun-ts/runtime";
import { createStatefulFunctions, customType } from "@statefun-ts/sdk";
import { createDiskStateBackend } from "@statefun-ts/state-disk";
import { cpuMicros } from "../latency.js";
import { machineBusyMicros, otherProcessesCores } from "../machine.js";
import { progress } from "../progress.js";
import { report } from "../result.js";
import { numberArg, yieldToEventLoop } from "./args.js";

const addresses = numberArg("addresses", 1_000_000);
const reads = Math.min(addresses, numberArg("reads", 1_000_000));
/** Addresses of the working set written over and over (the cache holds 100,000 by default). */
const cachedAddresses = Math.min(addresses, 10_000);
const cachedWrites = numberArg("cached-writes", 1_000_000);
const defaults = resolveRuntimeOptions();
/** Messages the runtime queues before the feed waits. */
const maxBacklog = numberArg("max-backlog", defaults.maxBacklog);
/**
 * Addresses waiting to run before the feed waits to queue for another one, while the feed does
 * not repeat addresses (the write phase: every message goes to another address).
 */
const maxQueuedAddresses = numberArg("max-queued-addresses", defaults.maxQueuedAddresses);
const bytesType = customType<Uint8Array>(
  "bench/Bytes",
  (v) => v,
  (b) => b,
);
const payload = TypedValue.fromBytes("bench/Op", new Uint8Array(100).fill(7));
const readOp = TypedValue.fromBytes("bench/Op", new Uint8Array(0));

function formatFailure(failure: { readonly error?: unknown } | undefined): string {
  const error = failure?.error;
  return `a read failed: ${error instanceof Error ? error.message : String(error)}`;
}

const functions = createStatefulFunctions().bind({
  typename: "bench/kv",
  state: { value: bytesType },
  fn(ctx, message) {
    const bytes = message.typedValue.bytes;
    if (bytes.length > 0) ctx.storage.value = bytes;
    else if (ctx.storage.value === undefined) throw new Error(`no value for ${ctx.self.id}`);
  },
});

const root = mkdtempSync(join(tmpdir(), "statefun-disk-bench-"));
let heapPeakMb = 0;
const sampler = setInterval(() => {
  heapPeakMb = Math.max(heapPeakMb, process.memoryUsage().heapUsed / 1e6);
}, 100);

async function open(dbName: string): Promise<Runtime> {
  const runtime = createRuntime({
    functions: [functions],
    maxBacklog,
    maxQueuedAddresses,
    maxBacklogPerAddress: 0,
    stateBackend: createDiskStateBackend({ directory: join(root, dbName) }),
    checkpointing: {
      storage: await createLocalCheckpointStorage({ directory: join(root, "checkpoints") }),
      intervalMs: 1000,
    },
  });
  await runtime.start();
  return runtime;
}

/** Length of the windows whose rates {@link FeedFigures.slowestWindowPerSecond} compares. */
const WINDOW_MS = 5000;

/** What a phase of {@link feed} took. */
interface FeedFigures {
  readonly perSecond: number;
  /**
   * Messages processed per second in the slowest whole window of {@link WINDOW_MS} (`undefined`
   * when the phase took less than one window): what the rate falls to as the state grows.
   */
  readonly slowestWindowPerSecond: number | undefined;
  /** CPU time of this process (all its threads) per message, in µs. */
  readonly cpuMicrosPerMessage: number;
  /** CPU time other processes of the machine took meanwhile, in cores (NaN without /proc). */
  readonly otherCores: number;
}

/** Sends `count` messages, the i-th to id (i × stride mod span). */
async function feed(
  runtime: Runtime,
  count: number,
  value: TypedValue,
  stride: number,
  label: string,
  span = addresses,
): Promise<FeedFigures> {
  const cpuBefore = cpuMicros();
  const busyBefore = machineBusyMicros() ?? NaN;
  const start = performance.now();
  let windowStart = start;
  let processedAtWindowStart = 0;
  let slowestWindowPerSecond: number | undefined;
  for (let i = 0; i < count;) {
    while (i < count && runtime.offer(addressOf("bench/kv", `id-${(i * stride) % span}`), value))
      i++;
    await yieldToEventLoop();
    const now = performance.now();
    if (now - windowStart >= WINDOW_MS) {
      // Offered messages still queued are not processed yet (embedded batches run in the turn).
      const processed = i - runtime.load().backlog;
      const windowPerSecond = ((processed - processedAtWindowStart) * 1000) / (now - windowStart);
      slowestWindowPerSecond = Math.min(slowestWindowPerSecond ?? Infinity, windowPerSecond);
      windowStart = now;
      processedAtWindowStart = processed;
      progress(
        "disk-state",
        `${label}: ${i.toLocaleString("en-US")} of ${count.toLocaleString("en-US")}, ${Math.round(windowPerSecond).toLocaleString("en-US")}/s, heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`,
      );
    }
  }
  await runtime.whenIdle();
  const seconds = (performance.now() - start) / 1000;
  const cpu = cpuMicros() - cpuBefore;
  const busy = (machineBusyMicros() ?? NaN) - busyBefore;
  return {
    perSecond: count / seconds,
    slowestWindowPerSecond,
    cpuMicrosPerMessage: cpu / count,
    otherCores: otherProcessesCores(busy, cpu, seconds),
  };
}

const CHECKPOINT_FILES = join(root, "checkpoints", "checkpoints");

function directoryBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

/** Bytes of the checkpoint files `chk-<id>.sfc` with `afterId < id ≤ lastId`. */
function checkpointBytesSince(afterId: number, lastId: number): number {
  let bytes = 0;
  for (const name of readdirSync(CHECKPOINT_FILES)) {
    const id = Number(/^chk-(\d+)\.sfc$/u.exec(name)?.[1] ?? NaN);
    if (id > afterId && id <= lastId) bytes += statSync(join(CHECKPOINT_FILES, name)).size;
  }
  return bytes;
}

const first = await open("db-1");
progress("disk-state", `writing ${addresses.toLocaleString("en-US")} addresses`);
const writes = await feed(first, addresses, payload, 1, "writes");
await first.whenDurable();
const fullBytes = directoryBytes(CHECKPOINT_FILES);
progress("disk-state", `reading ${reads.toLocaleString("en-US")} addresses`);
const readsPerSecond = (await feed(first, reads, readOp, 7919, "reads")).perSecond;
const changed = Math.max(1, Math.floor(addresses / 100));
await first.whenDurable();
const idBefore = first.checkpointStats()?.lastCompletedId ?? 0;
await feed(first, changed, payload, 101, "1% changes");
await first.whenDurable();
// The changes may span more than one checkpoint (one every second): all of them count.
const idAfter = first.checkpointStats()?.lastCompletedId ?? 0;
const incrementalBytes = checkpointBytesSince(idBefore, idAfter);
progress(
  "disk-state",
  `writing ${cachedAddresses.toLocaleString("en-US")} addresses over and over`,
);
const cachedWritesPerSecond = (
  await feed(first, cachedWrites, payload, 1, "writes to cached addresses", cachedAddresses)
).perSecond;
await first.stop();

// A clean stop keeps the database: a restart from the same checkpoint uses it as it is.
progress("disk-state", "restarting on the kept database");
const restartStart = performance.now();
const restarted = await open("db-1");
const restartSeconds = (performance.now() - restartStart) / 1000;
const restartedAddresses =
  restarted.backend.functionTypes().find((type) => type.typename === "bench/kv")?.addresses ?? 0;
if (restarted.restored?.keptState !== true || restartedAddresses !== addresses) {
  throw new Error(
    `expected the kept database with ${addresses} addresses; kept: ${restarted.restored?.keptState}, ${restartedAddresses} addresses`,
  );
}
await restarted.stop();

progress("disk-state", "restoring into a new runtime");
const restoreStart = performance.now();
const second = await open("db-2");
const restoreSeconds = (performance.now() - restoreStart) / 1000;
const restoredRecords = second.restored?.stateRecords ?? 0;
// The restored state is really there: every address counted, and a sample reads back its value
// (a read of a missing value throws, and the runtime would keep retrying it).
const restoredAddresses =
  second.backend.functionTypes().find((type) => type.typename === "bench/kv")?.addresses ?? 0;
const sample = Math.min(addresses, 10_000);
for (let i = 0; i < sample;) {
  while (i < sample && second.offer(addressOf("bench/kv", `id-${(i * 7919) % addresses}`), readOp))
    i++;
  await yieldToEventLoop();
}
const deadline = Date.now() + 60_000;
while (second.load().backlog + second.load().inflight > 0 && second.failures().length === 0) {
  if (Date.now() > deadline)
    throw new Error("the restored runtime did not finish the sample reads");
  await new Promise((resolve) => setTimeout(resolve, 10));
}
const failures = second.failures();
await second.stop();
if (restoredAddresses !== addresses || failures.length > 0) {
  throw new Error(
    `expected ${addresses} addresses restored, each with its value; counted ${restoredAddresses}` +
      (failures.length > 0 ? `, and ${formatFailure(failures[0])}` : ""),
  );
}
clearInterval(sampler);
rmSync(root, { recursive: true, force: true });
// Restored records are counted per checkpoint file of the chain (an address changed after the
// base counts again) and include the runtime's system tables (the state schema registry's record
// of `bench/kv`'s value spec): at least one per address.
if (restoredRecords < addresses) {
  throw new Error(`expected ${addresses} addresses restored, found ${restoredRecords} records`);
}

report({
  scenario: "disk-state",
  figures: [
    { name: "writes", value: writes.perSecond, unit: "updates/s" },
    ...(writes.slowestWindowPerSecond === undefined
      ? []
      : [
          {
            name: "writes, slowest 5 s",
            value: writes.slowestWindowPerSecond,
            unit: "updates/s",
          },
        ]),
    { name: "writes, CPU per update", value: writes.cpuMicrosPerMessage, unit: "µs" },
    { name: "writes, other processes' CPU", value: writes.otherCores, unit: "cores" },
    { name: "writes, cached addresses", value: cachedWritesPerSecond, unit: "updates/s" },
    { name: "reads", value: readsPerSecond, unit: "reads/s" },
    { name: "heap peak", value: heapPeakMb, unit: "MB" },
    { name: "checkpoint files", value: fullBytes / 1e6, unit: "MB" },
    { name: "incremental (1%)", value: incrementalBytes / 1e6, unit: "MB" },
    { name: "restore", value: restoreSeconds, unit: "s" },
    { name: "restart, database kept", value: restartSeconds, unit: "s" },
    { name: "restored records", value: restoredRecords, unit: "" },
  ],
  notes: [
    `${addresses} addresses × 100-byte values, disk backend, checkpoints every 1 s, backlog bounds ${maxBacklog} messages and ${maxQueuedAddresses} queued addresses`,
    `incremental (1%): the ${idAfter - idBefore} checkpoint(s) holding ${changed} changed addresses`,
    `writes: one per address, each a new one; slowest 5 s: the lowest rate of its whole 5-second windows; cached addresses: ${cachedWrites} updates of ${cachedAddresses} addresses`,
    "goal: writes ≥ 200,000 updates/s with the heap under 512 MB; restore time reported",
  ],
});
