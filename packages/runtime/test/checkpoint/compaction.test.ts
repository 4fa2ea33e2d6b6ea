/**
 * Incremental merges: with a checkpoint per acknowledged request (group commit), chains of small
 * incremental files are merged level by level, so chains stay short; merged files keep
 * deletions, recovery from a merged chain restores exactly the state a model predicts, and
 * merged files that no checkpoint refers to (a crash ended the process before one did) are
 * deleted at the next start.
 */
import assert from "node:assert/strict";
import { copyFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { TypedValue, addressOf, intType } from "@statefun-ts/protocol";
import { createStatefulFunctions } from "@statefun-ts/sdk";
import type { ChainFile } from "../../src/checkpoint/coordinator.js";
import {
  LONG_CHAIN,
  MERGE_FAN_IN,
  MERGE_MAX_BYTES,
  mergeRun,
  shouldCompact,
} from "../../src/checkpoint/compaction.js";
import { openCheckpoint } from "../../src/checkpoint/format/index.js";
import {
  CHECKPOINT_PREFIX,
  baseName,
  checkpointIdOf,
  checkpointName,
  isCompactionOutput,
  mergedName,
} from "../../src/checkpoint/names.js";
import { createLocalCheckpointStorage } from "../../src/index.js";
import { readState } from "../core/helpers.js";
import { waitFor } from "../io/wait-for.js";
import { checkpointDirectory, startRuntime } from "./recovery-harness.js";

/** `test/kv`: a positive message adds to the count, a negative one deletes it. */
function kv() {
  return createStatefulFunctions().bind({
    typename: "test/kv",
    state: { count: intType },
    fn(ctx, message) {
      const n = message.asInt();
      ctx.storage.count = n < 0 ? undefined : (ctx.storage.count ?? 0) + n;
    },
  });
}

/** A file of the chain with `records` records in `bytes` bytes of state. */
function fileOf(id: number, bytes: number, records: number, full = false): ChainFile {
  return {
    name: full ? baseName(id) : checkpointName(id),
    bytes,
    stateBytes: bytes,
    stateRecords: records,
    full,
  };
}

const chk = (id: number): ChainFile => fileOf(id, 10, 1);
const inc = (first: number, last: number): ChainFile => ({
  ...chk(first),
  name: mergedName(first, last),
});

test("mergeRun picks the oldest files of the lowest level with enough of them", () => {
  const base = fileOf(1, 100, 10, true);
  const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => chk(from + i));
  assert.equal(mergeRun([base, ...ids(2, MERGE_FAN_IN - 1)]), undefined, "too few files");
  assert.deepEqual(mergeRun([base, ...ids(2, MERGE_FAN_IN)]), ids(2, MERGE_FAN_IN));
  // The first checkpoint is a full file: never merged.
  const first: ChainFile = { ...chk(1), full: true };
  assert.equal(mergeRun([first, ...ids(2, MERGE_FAN_IN - 1)]), undefined);
  // Files of different levels at the tail: nothing to merge yet.
  assert.equal(mergeRun([base, inc(2, 9), ...ids(10, MERGE_FAN_IN - 1)]), undefined);
  // Eight files of level 1 make one of level 2.
  const level1 = Array.from({ length: MERGE_FAN_IN }, (_, i) => inc(2 + 8 * i, 9 + 8 * i));
  assert.deepEqual(mergeRun([base, ...level1]), level1);
  assert.deepEqual(mergeRun([base, ...level1, ...ids(66, 3)]), level1, "new files behind them");
  // More than eight of one level (files came while a merge ran): the oldest eight.
  assert.deepEqual(mergeRun([base, ...ids(2, MERGE_FAN_IN + 2)]), ids(2, MERGE_FAN_IN));
  // The lowest level first.
  assert.deepEqual(mergeRun([base, ...level1, ...ids(66, MERGE_FAN_IN)]), ids(66, MERGE_FAN_IN));
  // A file spanning fewer than eight checkpoints (ids skipped when nothing changed) is level 0.
  assert.deepEqual(mergeRun([base, inc(2, 8), ...ids(9, MERGE_FAN_IN - 1)]), [
    inc(2, 8),
    ...ids(9, MERGE_FAN_IN - 1),
  ]);
});

test("runs of large files are merged only once the chain is long", () => {
  const base = fileOf(1, 100, 10, true);
  const sized = (bytes: number) => (_: unknown, i: number) => fileOf(2 + i, bytes, 1);
  const each = MERGE_MAX_BYTES / MERGE_FAN_IN;
  const atMost = Array.from({ length: MERGE_FAN_IN }, sized(each));
  assert.deepEqual(mergeRun([base, ...atMost]), atMost, "at most the bytes of a run");
  const over = Array.from({ length: MERGE_FAN_IN }, sized(each + 1));
  assert.equal(mergeRun([base, ...over]), undefined, "over the bytes of a run");
  const long = [base, ...Array.from({ length: LONG_CHAIN }, sized(each + 1))];
  assert.deepEqual(mergeRun(long), long.slice(1, 1 + MERGE_FAN_IN), "a long chain merges them");
  assert.equal(mergeRun(long.slice(0, LONG_CHAIN)), undefined, "up to the long chain's length");
});

test("a base is due when the chain holds superseded state, not when it holds new addresses", () => {
  const options = (compactionRatio: number, compactionMinBytes = 0) => ({
    compactionRatio,
    compactionMinBytes,
  });
  const base = fileOf(1, 1000, 10, true);
  // The same 10 addresses written again: 1,000 bytes superseded of 1,000 live.
  const overwrites = [base, fileOf(2, 600, 6), fileOf(3, 400, 4)];
  assert.equal(shouldCompact(overwrites, options(1), 10), true);
  assert.equal(shouldCompact(overwrites, options(1.01), 10), false);
  assert.equal(shouldCompact(overwrites, options(1, 1001), 10), false, "under the minimum bytes");
  // 50 new addresses: nothing superseded, however low the ratio.
  const added = [base, fileOf(2, 3000, 30), fileOf(3, 2000, 20)];
  assert.equal(shouldCompact(added, options(0.01), 60), false);
  // 10 new and 10 written again: 1,000 bytes superseded of 2,000 live.
  const mixed = [base, fileOf(2, 2000, 20)];
  assert.equal(shouldCompact(mixed, options(0.5), 20), true);
  assert.equal(shouldCompact(mixed, options(0.6), 20), false);
  // 5 addresses deleted: their 100 bytes of deletions are superseded state too.
  const deleted = [base, fileOf(2, 100, 5)];
  assert.equal(shouldCompact(deleted, options(0.1), 5), true);
  assert.equal(shouldCompact(deleted, options(0.2), 5), false);
  // No full base yet: 20 records of 10 addresses.
  const noBase = [fileOf(1, 1000, 10), fileOf(2, 1000, 10)];
  assert.equal(shouldCompact(noBase, options(1), 10), true);
  assert.equal(shouldCompact(noBase, options(1), 20), false);
  // One file is no chain to compact; more than 256 are too many, whatever they hold.
  assert.equal(shouldCompact([base], options(0), 10), false);
  const many = [base, ...Array.from({ length: 256 }, (_, i) => fileOf(2 + i, 10, 1))];
  assert.equal(shouldCompact(many, options(100), 266), true);
});

test("addresses that are only added call for no base; writing them again does", async () => {
  const directory = await checkpointDirectory();
  const { runtime } = await startRuntime(directory, kv(), {
    checkpointing: { compactionMinBytes: 0, compactionRatio: 0.5 },
  });
  try {
    const rounds = 12;
    const submitRound = async (round: number): Promise<void> => {
      for (let i = 0; i < 20; i++) {
        await runtime.submit(addressOf("test/kv", `r${round}-${i}`), TypedValue.of(intType, 1));
      }
      await runtime.whenIdle();
      await runtime.whenDurable();
    };
    for (let round = 0; round < rounds; round++) await submitRound(round);
    await waitFor(() => (runtime.checkpointStats()?.merges ?? 0) >= 1, "a merge of the tail");
    assert.equal(runtime.checkpointStats()?.compactions, 0, "no base of state that still holds");
    // Every address written again: the chain holds twice the live state.
    for (let round = 0; round < rounds; round++) await submitRound(round);
    await waitFor(
      () => (runtime.checkpointStats()?.compactions ?? 0) >= 1,
      "a base once the chain holds superseded state",
    );
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < 20; i++) {
        assert.equal(
          readState(runtime, addressOf("test/kv", `r${round}-${i}`), "count", intType, Date.now()),
          2,
        );
      }
    }
  } finally {
    await runtime.stop();
  }
});

test("group commit chains are merged level by level; recovery restores the model, deletions included", async () => {
  const directory = await checkpointDirectory();
  const first = await startRuntime(directory, kv(), { checkpointing: { retained: 2 } });
  const model = new Map<string, number | undefined>();
  const ids = Array.from({ length: 12 }, (_, i) => `k${i}`);
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const checkpoints = 300;
  for (let i = 0; i < checkpoints; i++) {
    const id = ids[random(ids.length)] as string;
    const n = random(5) === 0 ? -1 : random(100) + 1;
    model.set(id, n < 0 ? undefined : (model.get(id) ?? 0) + n);
    await first.runtime.submit(addressOf("test/kv", id), TypedValue.of(intType, n));
    await first.runtime.whenIdle();
    await first.runtime.whenDurable();
  }
  const stats = () => first.runtime.checkpointStats();
  // 300 checkpoints: fewer than 8 files of each of levels 0, 1 and 2, after the first (full) one.
  const bound = 1 + 3 * (MERGE_FAN_IN - 1);
  await waitFor(() => (stats()?.chainLength ?? Infinity) <= bound, "merges to shorten the chain");
  const settled = stats();
  assert.ok(settled !== undefined);
  assert.ok(settled.completed >= checkpoints * 0.9, `${settled.completed} checkpoints`);
  assert.equal(settled.compactions, 0, "the state is too small for a full base");
  assert.ok(settled.merges >= 36, `${settled.merges} merges`);
  // Two more checkpoints, so that retention deletes what the merges replaced.
  for (const n of [1, 1]) {
    await first.runtime.submit(addressOf("test/kv", "k0"), TypedValue.of(intType, n));
    model.set("k0", (model.get("k0") ?? 0) + n);
    await first.runtime.whenIdle();
    await first.runtime.whenDurable();
  }
  // Every other file is a checkpoint kept by retention or part of one's chain, except the merged
  // files of merges that ended after the last checkpoint (one per level at most): the next start
  // deletes those. Nothing leaks.
  const storage = await createLocalCheckpointStorage({ directory });
  const unreferenced = async (): Promise<string[]> => {
    const present = await storage.list(CHECKPOINT_PREFIX);
    const referenced = new Set<string>();
    for (const name of present.filter((n) => checkpointIdOf(n) !== undefined)) {
      referenced.add(name);
      for (const part of (await openCheckpoint(storage, name)).manifest.chain) referenced.add(part);
    }
    return present.filter((name) => !referenced.has(name));
  };
  const levels = 3;
  await waitFor(async () => {
    try {
      return (await unreferenced()).length <= levels;
    } catch {
      return false; // retention deleted a checkpoint between the listing and its reading
    }
  }, "retention to delete the files no checkpoint needs");
  await first.crash();
  const names = await storage.list(CHECKPOINT_PREFIX);
  assert.ok(
    names.some((name) => name.includes("/inc-")),
    `merged files exist: ${names.join(", ")}`,
  );
  assert.deepEqual(
    (await unreferenced()).filter((name) => !isCompactionOutput(name)),
    [],
    "files no checkpoint needs",
  );
  assert.ok(names.length <= 3 * bound, `${names.length} files`);

  const second = await startRuntime(directory, kv());
  for (const id of ids) {
    assert.equal(
      readState(second.runtime, addressOf("test/kv", id), "count", intType, Date.now()),
      model.get(id),
      `state of ${id}`,
    );
  }
  await waitFor(
    async () => (await unreferenced()).length === 0,
    "the start to delete the merged files that no checkpoint refers to",
  );
  await second.runtime.stop();
});

test("merged files and bases that no checkpoint refers to are deleted at start", async () => {
  const directory = await checkpointDirectory();
  const first = await startRuntime(directory, kv());
  for (let i = 1; i <= 3; i++) {
    await first.runtime.submit(addressOf("test/kv", "a"), TypedValue.of(intType, i));
    await first.runtime.whenIdle();
    await first.runtime.whenDurable();
  }
  await first.crash();
  const dir = join(directory, "checkpoints");
  const [newest] = (await readdir(dir))
    .filter((n) => n.startsWith("chk-"))
    .sort()
    .reverse();
  // As if a compaction had written these, and the process died before a checkpoint used them.
  const orphans = [mergedName(90, 97), baseName(98)].map((name) =>
    name.slice("checkpoints/".length),
  );
  for (const orphan of orphans) await copyFile(join(dir, newest as string), join(dir, orphan));

  const second = await startRuntime(directory, kv());
  assert.equal(
    readState(second.runtime, addressOf("test/kv", "a"), "count", intType, Date.now()),
    6,
  );
  await waitFor(async () => {
    const names = await readdir(dir);
    return orphans.every((orphan) => !names.includes(orphan));
  }, "the orphans to be deleted");
  assert.ok((await readdir(dir)).includes(newest as string), "checkpoint files are kept");
  await second.runtime.stop();
});
