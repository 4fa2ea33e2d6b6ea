/**
 * Scenario: message deliveries per second through the embedded runtime, for a counter function
 * over many addresses. Messages come from outside (as from an ingress) as fast as the runtime
 * accepts them; the backlog bound decides how many messages a batch holds. With
 * `--checkpoint-interval-ms <n>`, the runtime takes checkpoints into a local directory that often
 * (exactly-once), which the figures then include.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TypedValue, addressOf, intType } from "@statefun-ts/protocol";
import { createLocalCheckpointStorage, createRuntime } from "@statefun-ts/runtime";
import { createStatefulFunctions } from "@statefun-ts/sdk";
import { progress } from "../progress.js";
import { report } from "../result.js";
import { numberArg, yieldToEventLoop } from "./args.js";

const addresses = numberArg("addresses", 10_000);
const durationMs = numberArg("duration-ms", 5_000);
const warmupMs = numberArg("warmup-ms", 1_000);
const maxBacklog = numberArg("max-backlog", 100_000);
const checkpointIntervalMs = numberArg("checkpoint-interval-ms", 0);

const functions = createStatefulFunctions().bind({
  typename: "bench/counter",
  state: { count: intType },
  fn(ctx) {
    ctx.storage.count = (ctx.storage.count ?? 0) + 1;
  },
});
const checkpointDir =
  checkpointIntervalMs > 0 ? mkdtempSync(join(tmpdir(), "statefun-bench-checkpoints-")) : undefined;
const runtime = createRuntime({
  functions: [functions],
  maxBacklog,
  maxBacklogPerAddress: 0,
  ...(checkpointDir === undefined
    ? {}
    : {
        checkpointing: {
          storage: await createLocalCheckpointStorage({ directory: checkpointDir }),
          intervalMs: checkpointIntervalMs,
        },
      }),
});
await runtime.start();
const targets = Array.from({ length: addresses }, (_, i) => addressOf("bench/counter", `id-${i}`));
const one = TypedValue.of(intType, 1);

async function feed(forMs: number): Promise<void> {
  const end = performance.now() + forMs;
  let next = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 10_000; i++) {
      if (!runtime.offer(targets[next] as (typeof targets)[number], one)) break;
      next = next + 1 === addresses ? 0 : next + 1;
    }
    await yieldToEventLoop();
  }
}

function totals(): { delivered: number; batches: number } {
  const stats = runtime.functionStats()[0];
  return { delivered: stats?.in ?? 0, batches: stats?.invocations ?? 0 };
}

progress("embedded-counter", `warming up ${warmupMs} ms`);
await feed(warmupMs);
await runtime.whenIdle();
const before = totals();
const start = performance.now();
const cpuBefore = process.cpuUsage();
progress("embedded-counter", `measuring ${durationMs} ms over ${addresses} addresses`);
await feed(durationMs);
await runtime.whenIdle();
const elapsedS = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const after = totals();
const delivered = after.delivered - before.delivered;
const batches = after.batches - before.batches;
const checkpoints = runtime.checkpointStats();
global.gc?.();
report({
  scenario: "embedded-counter",
  figures: [
    { name: "deliveries", value: delivered / elapsedS, unit: "msg/s" },
    // CPU time of the whole process (every thread) per delivery: unlike the rate, it does not
    // drop when the machine lends the process's core to someone else.
    { name: "CPU/delivery", value: (cpu.user + cpu.system) / delivered, unit: "µs" },
    { name: "batch size", value: delivered / batches, unit: "msg" },
    { name: "heap used", value: process.memoryUsage().heapUsed / 1e6, unit: "MB" },
    ...(checkpoints === undefined
      ? []
      : [
          { name: "checkpoints", value: checkpoints.completed, unit: "" },
          { name: "max pause", value: checkpoints.maxPauseMs, unit: "ms" },
        ]),
  ],
  notes: [
    `${addresses} addresses, maxBacklog ${maxBacklog}, ${durationMs} ms`,
    checkpointDir === undefined
      ? "checkpointing off"
      : `checkpointing every ${checkpointIntervalMs} ms to a local directory`,
  ],
});
await runtime.stop();
if (checkpointDir !== undefined) rmSync(checkpointDir, { recursive: true, force: true });
