/**
 * Checkpoints that cannot be written for a while, with real runtimes, a real LMDB directory and
 * real checkpoint files: once more changed addresses are out of the cache than the tracker keeps
 * ids of, changes are no longer tracked one by one, and the next checkpoint that can be written
 * holds the whole state and starts a new chain. Recovery from it is exact (deletions included),
 * and the old chain's files go once no retained checkpoint needs them.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { CheckpointStorage, Runtime } from "@statefun-ts/runtime";
import { createLocalCheckpointStorage, createRuntime } from "@statefun-ts/runtime";
import { createDiskStateBackend } from "../src/index.js";
import { breakable, kvFunctions, put, valueOf } from "./kv-runtime.js";
import { tempDirs } from "@statefun-ts/runtime/testing/temp-dirs";

const IDS = Array.from({ length: 100 }, (_, i) => `id-${i}`);
const root = tempDirs("statefun-full-capture-");

async function start(db: string, storage: CheckpointStorage): Promise<Runtime> {
  const runtime = createRuntime({
    functions: [kvFunctions],
    stateBackend: createDiskStateBackend({
      directory: db,
      maxCachedAddresses: 10,
      maxTrackedChanges: 5,
      flushIntervalMs: 1,
    }),
    checkpointing: { storage, intervalMs: 20, retained: 1, leaseTtlMs: 0 },
  });
  await runtime.start();
  return runtime;
}

test("past the changes tracked while checkpoints fail, the next checkpoint is full and recovery is exact", async () => {
  const dir = await root();
  const storage = breakable(
    await createLocalCheckpointStorage({ directory: join(dir, "checkpoints") }),
  );
  const runtime = await start(join(dir, "db-1"), storage);
  const model = new Map<string, string | undefined>(IDS.map((id) => [id, "a"]));
  await put(runtime, IDS, "a");
  await runtime.whenDurable();
  // A few changes: tracked one by one, an incremental checkpoint on the full first one.
  await put(runtime, IDS.slice(0, 3), "b");
  for (const id of IDS.slice(0, 3)) model.set(id, "b");
  await runtime.whenDurable();
  assert.equal(runtime.checkpointStats()?.chainLength, 2, "a full file and an incremental one");
  const oldChain = await storage.list("checkpoints/");

  // Checkpoints fail (every 20 ms) while 60 addresses change and 10 are deleted: far more than
  // the 25 ids (a quarter of the addresses) the tracker may keep.
  storage.broken = true;
  const failedBefore = runtime.checkpointStats()?.failed ?? 0;
  await put(runtime, IDS.slice(0, 60), "c");
  await put(runtime, IDS.slice(60, 70), "");
  for (const id of IDS.slice(0, 60)) model.set(id, "c");
  for (const id of IDS.slice(60, 70)) model.delete(id);
  const deadline = Date.now() + 10_000;
  while ((runtime.checkpointStats()?.failed ?? 0) < failedBefore + 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok((runtime.checkpointStats()?.failed ?? 0) >= failedBefore + 2, "attempts failed");

  storage.broken = false;
  await runtime.whenDurable();
  assert.equal(runtime.checkpointStats()?.chainLength, 1, "the checkpoint after them is full");
  // One more change: an incremental checkpoint on the new chain, which retention (1) keeps alone.
  await put(runtime, ["id-99"], "d");
  model.set("id-99", "d");
  await runtime.whenDurable();
  assert.equal(runtime.checkpointStats()?.chainLength, 2);
  const remaining = await storage.list("checkpoints/");
  assert.equal(remaining.length, 2, `the new chain's files only: ${remaining.join(", ")}`);
  for (const name of oldChain) assert.ok(!remaining.includes(name), `${name} deleted`);
  await runtime.stop();

  // Restored into a new database from the files (as after a crash): exactly the model.
  const restored = await start(join(dir, "db-2"), storage);
  assert.equal(restored.restored?.keptState, false);
  for (const id of IDS) assert.equal(valueOf(restored, id), model.get(id), id);
  await restored.stop();
});
