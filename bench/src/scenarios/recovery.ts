/**
 * Scenario: recovery time. A runtime on the memory backend gives each of `--addresses` counters a
 * value, takes a checkpoint into a local directory and stops; a new runtime then starts from that
 * directory, and the figure is the time its `start()` takes: reading and checking the checkpoint
 * files and restoring every value. A restored counter is then read back to show the state is
 * really there.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TypedValue, addressOf, intType } from "@statefun-ts/protocol";
import type { Runtime } from "@statefun-ts/runtime";
import { createLocalCheckpointStorage, createRuntime } from "@statefun-ts/runtime";
import { createStatefulFunctions } from "@statefun-ts/sdk";
import { progress } from "../progress.js";
import { report } from "../result.js";
import { numberArg, yieldToEventLoop } from "./args.js";

const addresses = numberArg("addresses", 1_000_000);
const directory = mkdtempSync(join(tmpdir(), "statefun-bench-recovery-"));

let seen: number | undefined;
const functions = createStatefulFunctions().bind({
  typename: "bench/counter",
  state: { count: intType },
  fn(ctx, message) {
    const by = message.as(intType);
    if (by === 0) seen = ctx.storage.count;
    else ctx.storage.count = (ctx.storage.count ?? 0) + by;
  },
});

async function open(): Promise<Runtime> {
  const runtime = createRuntime({
    functions: [functions],
    maxBacklog: 200_000,
    maxBacklogPerAddress: 0,
    // Only the checkpoints the scenario asks for (a runtime's stop takes one more).
    checkpointing: {
      storage: await createLocalCheckpointStorage({ directory }),
      intervalMs: 3_600_000,
    },
  });
  await runtime.start();
  return runtime;
}

function bytesUnder(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0);
}

const first = await open();
progress("recovery", `giving ${addresses.toLocaleString("en-US")} counters a value`);
const seven = TypedValue.of(intType, 7);
for (let i = 0; i < addresses;) {
  while (i < addresses && first.offer(addressOf("bench/counter", `id-${i}`), seven)) i++;
  await yieldToEventLoop();
}
await first.whenIdle();
await first.whenDurable();
await first.stop();
const checkpointBytes = bytesUnder(directory);

global.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
progress("recovery", "restoring into a new runtime");
const start = performance.now();
const second = await open();
const restoreSeconds = (performance.now() - start) / 1000;
global.gc?.();
const heapAfter = process.memoryUsage().heapUsed;
const restored = second.restored;
const probe = addressOf("bench/counter", `id-${addresses - 1}`);
await second.submit(probe, TypedValue.of(intType, 0));
await second.whenIdle();
await second.stop();
rmSync(directory, { recursive: true, force: true });
// The records restored include the runtime's system tables (the state schema registry's record
// of `bench/counter`'s value spec), so there is at least one per counter, not exactly one.
const records = restored?.stateRecords ?? 0;
if (records < addresses || seen !== 7) {
  throw new Error(
    `expected ${addresses} counters restored, each 7; found ${records} state records, the last counter ${seen}`,
  );
}

report({
  scenario: "recovery",
  figures: [
    { name: "restore", value: restoreSeconds, unit: "s" },
    { name: "addresses/s", value: addresses / restoreSeconds, unit: "addr/s" },
    { name: "checkpoint files", value: checkpointBytes / 1e6, unit: "MB" },
    { name: "restored heap", value: (heapAfter - heapBefore) / 1e6, unit: "MB" },
  ],
  notes: [
    `${addresses} counters on the memory backend, one full checkpoint in a local directory`,
    `restore = the new runtime's start(), files read and checked, every value restored`,
    "target: restore of 1,000,000 addresses < 3 s",
  ],
});
