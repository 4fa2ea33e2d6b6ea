/**
 * Merges prepared on the compaction thread write, through the coordinator's storage, exactly the
 * files the same merges write on the calling thread (byte for byte), for chains of any records,
 * including files too large for one chunk, and report the files' sizes and state bytes as their
 * indexes give them. A read the storage fails fails the merge with the
 * storage's error and writes nothing, and the thread goes on merging; a merge still running when
 * the thread is closed fails, and later ones are refused.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { StatefunError, isStatefunError } from "@statefun-ts/protocol";
import type { FileSizes } from "../../src/checkpoint/compaction-thread.js";
import { CompactionThread } from "../../src/checkpoint/compaction-thread.js";
import { encodeCheckpointBytes, openCheckpoint } from "../../src/checkpoint/format/index.js";
import type { StateRecord } from "../../src/checkpoint/model.js";
import { baseName, checkpointName, mergedName } from "../../src/checkpoint/names.js";
import type { CheckpointStorage } from "../../src/checkpoint/storage.js";
import { fewAddressRecord } from "./format-arbitraries.js";
import {
  NO_GLOBAL,
  compactChain,
  createCountingStorage,
  manifestOf,
  mergeIncremental,
} from "./format-storage.js";

/** Checks what the thread reported of a file it wrote against the file. */
async function assertReported(
  storage: CheckpointStorage,
  name: string,
  reported: FileSizes,
): Promise<void> {
  const file = await openCheckpoint(storage, name);
  assert.equal(reported.bytes, file.sizeBytes);
  assert.equal(reported.stateBytes, file.stateBytes);
  assert.equal(reported.stateRecords, file.stateRecords);
}

/** Writes each file's records (per key group) as the incremental files after `base-1`. */
async function writeChain(
  storage: CheckpointStorage & { objects: Map<string, Uint8Array> },
  files: readonly (readonly [number, StateRecord[]][])[],
): Promise<string[]> {
  const names = files.map((_, i) => checkpointName(i + 2));
  for (const [i, groups] of files.entries()) {
    const manifest = manifestOf(i + 2, [baseName(1), ...names.slice(0, i)]);
    const keyGroups = [...new Map(groups)].map(([keyGroup, state]) => ({
      keyGroup,
      state,
      messages: [],
      delayed: [],
    }));
    keyGroups.sort((x, y) => x.keyGroup - y.keyGroup);
    storage.objects.set(
      names[i] as string,
      await encodeCheckpointBytes(manifest, keyGroups, NO_GLOBAL),
    );
  }
  return names;
}

test("merges on the thread write the files merges on the calling thread write", async () => {
  const storage = createCountingStorage();
  const thread = new CompactionThread(storage);
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(fc.tuple(fc.nat(15), fc.array(fewAddressRecord, { maxLength: 6 })), {
            maxLength: 4,
          }),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        async (files) => {
          storage.objects.clear();
          const names = await writeChain(storage, files);
          const merged = mergedName(2, files.length + 1);
          const reported = await thread.mergeIncremental(names, [baseName(1)], merged);
          await assertReported(storage, merged, reported);
          const threadMerge = storage.objects.get(merged);
          await mergeIncremental(storage, names, [baseName(1)], merged);
          assert.deepEqual(threadMerge, storage.objects.get(merged));

          const base = baseName(files.length + 1);
          await assertReported(storage, base, await thread.compactChain(names, base, 16));
          const threadBase = storage.objects.get(base);
          await compactChain(storage, names, base, 16);
          assert.deepEqual(threadBase, storage.objects.get(base));
        },
      ),
      { numRuns: 60 },
    );
  } finally {
    await thread.close();
  }
});

test("a file larger than a chunk comes over whole", async () => {
  const storage = createCountingStorage();
  const values = [
    { name: "v", typename: "example/Bytes", value: new Uint8Array(300), expiresAtMs: Infinity },
  ];
  const many = (offset: number): StateRecord[] =>
    Array.from({ length: 4000 }, (_, i) => ({
      functionType: "example/a",
      id: `id-${offset + i}`,
      values,
    }));
  const names = await writeChain(storage, [
    [[3, many(0)]],
    [
      [3, many(2000)],
      [9, many(0)],
    ],
  ]);
  const thread = new CompactionThread(storage);
  try {
    const base = baseName(3);
    const reported = await thread.compactChain(names, base, 16);
    await assertReported(storage, base, reported);
    const threadBase = storage.objects.get(base);
    assert.ok(reported.stateBytes > 2_000_000, `${reported.stateBytes} bytes of state`);
    await compactChain(storage, names, base, 16);
    assert.deepEqual(threadBase, storage.objects.get(base));
  } finally {
    await thread.close();
  }
});

test("a failed read fails the merge with the storage's error, and the thread goes on", async () => {
  const storage = createCountingStorage();
  const names = await writeChain(storage, [[[1, []]], [[2, []]]]);
  const failing: CheckpointStorage = {
    ...storage,
    read: (name, range) =>
      name === names[1]
        ? Promise.reject(new StatefunError("storage-failed", `cannot read ${name}: disk gone`))
        : storage.read(name, range),
  };
  const thread = new CompactionThread(failing);
  try {
    await assert.rejects(
      thread.mergeIncremental(names, [baseName(1)], mergedName(2, 3)),
      (error: unknown) =>
        isStatefunError(error, "storage-failed") && /disk gone/u.test((error as Error).message),
    );
    assert.equal(storage.objects.has(mergedName(2, 3)), false, "nothing written");
    const reported = await thread.mergeIncremental(
      names.slice(0, 1),
      [baseName(1)],
      mergedName(2, 2),
    );
    await assertReported(storage, mergedName(2, 2), reported);
  } finally {
    await thread.close();
  }
});

test("a merge running when the thread closes fails; later ones are refused", async () => {
  const storage = createCountingStorage();
  const names = await writeChain(storage, [[[1, []]]]);
  let reading!: () => void;
  const readStarted = new Promise<void>((resolve) => {
    reading = resolve;
  });
  const stalled: CheckpointStorage = {
    ...storage,
    read: () => {
      reading();
      return new Promise<Uint8Array>(() => undefined);
    },
  };
  const thread = new CompactionThread(stalled);
  const merge = thread.mergeIncremental(names, [baseName(1)], mergedName(2, 2));
  await readStarted;
  await thread.close();
  await assert.rejects(merge, /compaction thread exited/u);
  await assert.rejects(thread.compactChain(names, baseName(2), 16), (error: unknown) =>
    isStatefunError(error, "shutdown"),
  );
});
