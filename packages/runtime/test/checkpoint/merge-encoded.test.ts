/**
 * Merges copy state records as the files hold them, without decoding their values. An
 * incremental merge must write exactly the file that decoding every record, keeping the newest
 * per address and encoding them again would give (byte for byte); a full merge must hold exactly
 * the newest live values of each address (deletions and values expired at the newest cut
 * dropped); both for any mix of addresses (unicode and empty ids, deletions, expirations). A
 * record whose structure is damaged behind a valid CRC is reported as corrupt, naming its file.
 */
import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { test } from "node:test";
import fc from "fast-check";
import { isStatefunError } from "@statefun-ts/protocol";
import {
  decodeCheckpointBytes,
  encodeCheckpointBytes,
  openCheckpoint,
} from "../../src/checkpoint/format/index.js";
import type { CheckpointManifest, StateRecord } from "../../src/checkpoint/model.js";
import { baseName, checkpointName, mergedName } from "../../src/checkpoint/names.js";
import { fewAddressRecord } from "./format-arbitraries.js";
import {
  NO_GLOBAL,
  compactChain,
  createCountingStorage,
  manifestOf,
  mergeIncremental,
} from "./format-storage.js";

const KEY_GROUP = 7;

/** Where an address's records are kept in the model. */
function keyOf(record: StateRecord): string {
  return `${record.functionType}\u0000${record.id}`;
}

/**
 * Writes each of `files` (the records of one key group) as an incremental checkpoint file, the
 * chain after the base `base-1`; returns their names, the newest decoded record of each address,
 * and the newest file's cut.
 */
async function writeFiles(
  storage: ReturnType<typeof createCountingStorage>,
  files: readonly StateRecord[][],
): Promise<{ names: string[]; newest: Map<string, StateRecord>; cutMs: number }> {
  const names = files.map((_, i) => checkpointName(i + 2));
  const newest = new Map<string, StateRecord>();
  let cutMs = 0;
  for (const [i, state] of files.entries()) {
    const manifest = manifestOf(i + 2, [baseName(1), ...names.slice(0, i)]);
    cutMs = manifest.createdAtMs;
    const keyGroups = [{ keyGroup: KEY_GROUP, state, messages: [], delayed: [] }];
    const bytes = await encodeCheckpointBytes(manifest, keyGroups, NO_GLOBAL);
    storage.objects.set(names[i] as string, bytes);
    for (const kept of (await decodeCheckpointBytes(bytes)).keyGroups[0]?.state ?? []) {
      newest.set(keyOf(kept), kept);
    }
  }
  return { names, newest, cutMs };
}

/** Checks `property` against chains of `minLength` to `maxLength` files, in a fresh storage each. */
function forChains(
  minLength: number,
  maxLength: number,
  property: (
    storage: ReturnType<typeof createCountingStorage>,
    files: StateRecord[][],
  ) => Promise<void>,
): Promise<void> {
  return fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(fewAddressRecord, { maxLength: 8 }), { minLength, maxLength }),
      (files) => property(createCountingStorage(), files),
    ),
    { numRuns: 150 },
  );
}

test("a merge copies the newest record of each address, as decoding and encoding would write it", async () => {
  await forChains(2, 5, async (storage, files) => {
    const base = baseName(1);
    const { names, newest } = await writeFiles(storage, files);
    const target = mergedName(2, files.length + 1);
    const size = await mergeIncremental(storage, names, [base], target);

    const merged = storage.objects.get(target);
    assert.ok(merged !== undefined);
    assert.equal(size, merged.length);
    const last = await openCheckpoint(storage, names.at(-1) as string);
    const manifest: CheckpointManifest = {
      ...last.manifest,
      chain: [base],
      info: { mergedFrom: files.length },
    };
    const expected = [...newest.values()];
    const keyGroups =
      expected.length === 0
        ? []
        : [{ keyGroup: KEY_GROUP, state: expected, messages: [], delayed: [] }];
    assert.deepEqual(merged, await encodeCheckpointBytes(manifest, keyGroups, NO_GLOBAL));
  });
});

test("a full merge keeps the newest live values of each address, dropping deletions and expired values", async () => {
  await forChains(1, 4, async (storage, files) => {
    const { names, newest, cutMs } = await writeFiles(storage, files);
    const expected = new Map<string, StateRecord>();
    for (const [key, kept] of newest) {
      const values = kept.values.filter((value) => value.expiresAtMs > cutMs);
      if (values.length > 0) expected.set(key, { ...kept, values });
    }
    const target = baseName(files.length + 1);
    await compactChain(storage, names, target, 16);

    const merged = await decodeCheckpointBytes(storage.objects.get(target) as Uint8Array);
    assert.equal(merged.manifest.full, true);
    const found = new Map<string, StateRecord>();
    for (const kept of merged.keyGroups.flatMap((content) => content.state)) {
      const key = keyOf(kept);
      assert.equal(found.has(key), false, `${key} appears once`);
      found.set(key, kept);
    }
    assert.deepEqual(found, expected);
  });
});

test("a record damaged behind a valid CRC fails the merge as corrupt data", async () => {
  const storage = createCountingStorage();
  const good: StateRecord = {
    functionType: "example/a",
    id: "1",
    values: [{ name: "n", typename: "t/x", value: new Uint8Array([1, 2]), expiresAtMs: Infinity }],
  };
  const names = [checkpointName(2), checkpointName(3)];
  for (const [i, name] of names.entries()) {
    const keyGroups = [{ keyGroup: KEY_GROUP, state: [good], messages: [], delayed: [] }];
    const manifest = manifestOf(i + 2, [baseName(1)]);
    storage.objects.set(name, await encodeCheckpointBytes(manifest, keyGroups, NO_GLOBAL));
  }
  // In the second file, the function type's length runs past its record; the CRC is made valid.
  const damagedName = names[1] as string;
  const bytes = storage.objects.get(damagedName) as Uint8Array;
  const section = (await openCheckpoint(storage, damagedName)).sections.find(
    (s) => s.kind === "state",
  );
  assert.ok(section !== undefined);
  const sectionBytes = bytes.subarray(section.offset, section.offset + section.length);
  // The record's first field is the function type: tag 10, then its length.
  const at = sectionBytes.findIndex(
    (byte, i) => byte === 10 && sectionBytes[i + 1] === "example/a".length,
  );
  assert.ok(at > 0, "the function type field is in the section");
  sectionBytes[at + 1] = 120;
  const crcAt = sectionBytes.length - 4;
  new DataView(sectionBytes.buffer, sectionBytes.byteOffset).setUint32(
    crcAt,
    crc32(sectionBytes.subarray(0, crcAt)),
    true,
  );

  await assert.rejects(
    mergeIncremental(storage, names, [baseName(1)], mergedName(2, 3)),
    (error: unknown) => {
      assert.ok(isStatefunError(error), String(error));
      assert.equal(error.code, "corrupt-data");
      assert.match(error.message, new RegExp(damagedName.replace(/[.]/g, "\\.")));
      assert.match(error.message, /undecodable record at index 0: a string of 120 bytes/);
      return true;
    },
  );
  assert.equal(storage.objects.has(mergedName(2, 3)), false, "nothing is written");
});
