/**
 * Starting from a savepoint. With the runtime's number of key groups, a copy of the savepoint
 * (its sections as they are, under a checkpoint's manifest) becomes the base of the new chain:
 * the restored state is not written again, the first checkpoint holds only what changed since,
 * and a crash right after the start recovers from the copy. With another number of key groups,
 * the base is written from the restored, re-keyed state before anything runs, pending messages
 * re-keyed too. A savepoint that cannot be restored leaves nothing behind in the new state
 * directory.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { TypedValue, addressOf, intType, isStatefunError } from "@statefun-ts/protocol";
import { createStatefulFunctions, messageBuilder } from "@statefun-ts/sdk";
import type { CheckpointStorage, StateRecord } from "../../src/index.js";
import { createLocalCheckpointStorage } from "../../src/index.js";
import { openCheckpoint } from "../../src/checkpoint/format/index.js";
import type { CheckpointFile } from "../../src/checkpoint/format/index.js";
import { crc32Of } from "../../src/checkpoint/format/layout.js";
import { keyGroupOf } from "../../src/core/key-group.js";
import { CHECKPOINT_PREFIX, checkpointName } from "../../src/checkpoint/names.js";
import { readState } from "../core/helpers.js";
import { checkpointDirectory, startRuntime } from "./recovery-harness.js";

const COUNTER = "test/counter";
const IDS = Array.from({ length: 40 }, (_, i) => `c-${i}`);
const SAVEPOINT = "before-move.sfc";
/** Bytes of a key group section's header: kind, key group, record count, payload length, no id. */
const SECTION_HEADER_BYTES = 1 + 4 + 4 + 8 + 2;

/** A counter, and a timer that sends a counter +1000 in ten minutes. */
function functions() {
  return createStatefulFunctions()
    .bind({
      typename: COUNTER,
      state: { count: intType },
      fn(ctx, message) {
        ctx.storage.count = (ctx.storage.count ?? 0) + message.asInt();
      },
    })
    .bind({
      typename: "test/timer",
      fn(ctx) {
        ctx.sendAfter(
          600_000,
          messageBuilder({ typename: COUNTER, id: "c-0", value: 1000, valueType: intType }),
          "later",
        );
      },
    });
}

function count(runtime: Parameters<typeof readState>[0], id: string): number | undefined {
  return readState(runtime, addressOf(COUNTER, id), "count", intType, Date.now());
}

/** Takes a savepoint of counters c-i = i and one delayed message, with `maxKeyGroups`. */
async function savepointOfCounters(maxKeyGroups: number): Promise<CheckpointStorage> {
  const first = await startRuntime(await checkpointDirectory(), functions(), { maxKeyGroups });
  for (const [i, id] of IDS.entries()) {
    await first.runtime.submit(addressOf(COUNTER, id), TypedValue.of(intType, i));
  }
  await first.runtime.submit(addressOf("test/timer", "t"), TypedValue.of(intType, 0));
  await first.runtime.whenIdle();
  const savepoints = await createLocalCheckpointStorage({ directory: await checkpointDirectory() });
  await first.runtime.savepoint(savepoints, SAVEPOINT);
  await first.runtime.stop();
  return savepoints;
}

/** The counter's state records in a file, by id. */
async function counterRecords(file: CheckpointFile): Promise<Map<string, StateRecord>> {
  const records = new Map<string, StateRecord>();
  for (const keyGroup of file.keyGroups()) {
    for (const record of await file.readKeyGroupState(keyGroup)) {
      if (record.functionType === COUNTER) records.set(record.id, record);
    }
  }
  return records;
}

test("a savepoint with the runtime's key groups becomes the base of the new chain", async () => {
  const savepoints = await savepointOfCounters(128);
  const savepoint = await openCheckpoint(savepoints, SAVEPOINT);
  const directory = await checkpointDirectory();
  const second = await startRuntime(directory, functions(), {
    fromSavepoint: { storage: savepoints, name: SAVEPOINT },
  });
  const storage = await createLocalCheckpointStorage({ directory });
  const base = checkpointName(savepoint.manifest.id);
  assert.deepEqual(await storage.list(CHECKPOINT_PREFIX), [base], "the copy is there at the start");
  const copy = await openCheckpoint(storage, base);
  assert.deepEqual(copy.manifest, {
    ...savepoint.manifest,
    kind: "checkpoint",
    full: true,
    chain: [],
    info: { ...savepoint.manifest.info, savepoint: SAVEPOINT },
  });
  assert.deepEqual(copy.sections, savepoint.sections, "sections copied as they are");
  assert.deepEqual(await counterRecords(copy), await counterRecords(savepoint));
  assert.equal(second.runtime.restored?.delayedMessages, 1);

  await second.runtime.submit(addressOf(COUNTER, "c-3"), TypedValue.of(intType, 100));
  await second.runtime.whenIdle();
  await second.runtime.whenDurable();
  const names = await storage.list(CHECKPOINT_PREFIX);
  assert.equal(names.length, 2);
  const next = await openCheckpoint(storage, names[1] as string);
  assert.equal(next.manifest.id, savepoint.manifest.id + 1);
  assert.equal(next.manifest.full, false);
  assert.deepEqual(next.manifest.chain, [base], "the next checkpoint builds on the copy");
  assert.deepEqual(
    [...(await counterRecords(next)).keys()],
    ["c-3"],
    "only the address changed since the start is written again",
  );
  await second.crash();

  const third = await startRuntime(directory, functions());
  for (const [i, id] of IDS.entries()) {
    assert.equal(count(third.runtime, id), id === "c-3" ? 103 : i, id);
  }
  assert.equal(third.runtime.restored?.delayedMessages, 1, "the delayed message came along");
  await third.runtime.stop();
});

test("a crash right after starting from a savepoint recovers from its copy", async () => {
  const savepoints = await savepointOfCounters(128);
  const directory = await checkpointDirectory();
  const second = await startRuntime(directory, functions(), {
    fromSavepoint: { storage: savepoints, name: SAVEPOINT },
  });
  await second.crash();

  const third = await startRuntime(directory, functions());
  for (const [i, id] of IDS.entries()) assert.equal(count(third.runtime, id), i, id);
  assert.equal(third.runtime.restored?.delayedMessages, 1);
  await third.runtime.stop();
});

test("a savepoint with other key groups is re-keyed into the base of the new chain", async () => {
  const savepoints = await savepointOfCounters(16);
  const savepoint = await openCheckpoint(savepoints, SAVEPOINT);
  const directory = await checkpointDirectory();
  const second = await startRuntime(directory, functions(), {
    fromSavepoint: { storage: savepoints, name: SAVEPOINT },
  });
  const storage = await createLocalCheckpointStorage({ directory });
  const names = await storage.list(CHECKPOINT_PREFIX);
  assert.equal(names.length, 1, "the base is there at the start");
  const base = await openCheckpoint(storage, names[0] as string);
  assert.deepEqual(base.manifest, {
    ...savepoint.manifest,
    kind: "checkpoint",
    maxKeyGroups: 128,
    full: true,
    chain: [],
    info: { ...savepoint.manifest.info, savepoint: SAVEPOINT, savepointKeyGroups: 16 },
  });
  const counts = new Map<string, number | undefined>();
  for (const keyGroup of base.keyGroups()) {
    for (const record of await base.readKeyGroupState(keyGroup)) {
      assert.equal(keyGroupOf(record.id, 128), keyGroup, `${record.id} in its new key group`);
      const value = record.values[0]?.value;
      if (record.functionType === COUNTER && value !== undefined) {
        counts.set(record.id, TypedValue.fromBytes(intType.typename, value).as(intType));
      }
    }
  }
  assert.deepEqual(counts, new Map(IDS.map((id, i) => [id, i])));
  const timer = await base.readKeyGroup(keyGroupOf("t", 128));
  assert.equal(timer.delayed.length, 1, "the delayed message, in its sender's new key group");

  await second.runtime.submit(addressOf(COUNTER, "c-3"), TypedValue.of(intType, 100));
  await second.runtime.whenIdle();
  await second.runtime.whenDurable();
  const next = await openCheckpoint(storage, (await storage.list(CHECKPOINT_PREFIX))[1] as string);
  assert.deepEqual(next.manifest.chain, names);
  assert.deepEqual([...(await counterRecords(next)).keys()], ["c-3"]);
  await second.crash();

  const third = await startRuntime(directory, functions());
  for (const [i, id] of IDS.entries()) {
    assert.equal(count(third.runtime, id), id === "c-3" ? 103 : i, id);
  }
  assert.equal(third.runtime.restored?.delayedMessages, 1);
  await third.runtime.stop();
});

test("a savepoint that fails to restore fails the start and leaves the new directory empty", async () => {
  const savepoints = await savepointOfCounters(128);
  const path = join(savepoints.location, SAVEPOINT);
  const bytes = await readFile(path);
  const file = await openCheckpoint(savepoints, SAVEPOINT);
  const state = file.sections.find((section) => section.kind === "state");
  assert.ok(state !== undefined);
  // The first record's length runs past the payload, under a CRC that matches: the copy takes
  // the section as it is, the restore cannot decode it.
  bytes[state.offset + SECTION_HEADER_BYTES] = 0x7f;
  const crcAt = state.offset + state.length - 4;
  bytes.writeUInt32LE(crc32Of(bytes.subarray(state.offset, crcAt)), crcAt);
  await writeFile(path, bytes);

  const directory = await checkpointDirectory();
  await assert.rejects(
    startRuntime(directory, functions(), {
      fromSavepoint: { storage: savepoints, name: SAVEPOINT },
    }),
    (error: unknown) => {
      assert.ok(isStatefunError(error, "corrupt-data"), String(error));
      assert.match(error.message, /undecodable record at index 0/u);
      return true;
    },
  );
  const storage = await createLocalCheckpointStorage({ directory });
  assert.deepEqual(await storage.list(CHECKPOINT_PREFIX), [], "the copy was removed");
});
