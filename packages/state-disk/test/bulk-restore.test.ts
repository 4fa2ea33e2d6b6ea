/**
 * Bulk restores into the disk backend: LMDB commits them on its own thread while recovery goes on
 * decoding. Until `whenWritten` resolves, a read of the state or a clear is refused (either could
 * act on what the database held before); afterwards the state and the counts are those of the
 * records, also when a later bulk restore replaces, removes and adds addresses.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { TypedValue, isStatefunError, stringType } from "@statefun-ts/protocol";
import type { StateRecord } from "@statefun-ts/runtime";
import { keyGroupOf } from "@statefun-ts/runtime";
import { createDiskStateBackend } from "../src/index.js";
import { tempDirs } from "@statefun-ts/runtime/testing/temp-dirs";

const root = tempDirs("statefun-bulk-restore-");
const TYPE = "test/kv";
const KEY_GROUPS = 4;

function record(id: string, ...values: string[]): StateRecord {
  return {
    functionType: TYPE,
    id,
    values: values.map((text, index) => ({
      name: `v${index}`,
      typename: stringType.typename,
      value: TypedValue.of(stringType, text).bytes,
      expiresAtMs: Infinity,
    })),
  };
}

const ids = Array.from({ length: 50 }, (_, i) => `id-${i}`);

test("a bulk restore is read only once written, with the records' state and counts", async () => {
  const backend = createDiskStateBackend({
    directory: join(await root(), "db"),
    maxKeyGroups: KEY_GROUPS,
  });
  const table = backend.table(TYPE);
  const read = (id: string): string[] =>
    table
      .entries(id, keyGroupOf(id, KEY_GROUPS), Date.now())
      .map((entry) => entry.value.as(stringType) ?? "");
  const counts = () => ({
    addresses: backend.functionTypes().find((type) => type.typename === TYPE)?.addresses ?? 0,
    values: backend.liveValues(),
  });
  const refused = (action: () => unknown) =>
    assert.throws(action, (error: unknown) => isStatefunError(error, "illegal-state"));

  backend.restore(
    ids.map((id) => record(id, `a-${id}`)),
    { markChanged: false, bulk: true },
  );
  refused(() => read("id-0"));
  refused(() => backend.clear());
  await backend.whenWritten();
  assert.deepEqual(counts(), { addresses: 50, values: 50 });
  // Read (and so cached) only addresses the next restore leaves alone: it writes the others to
  // the database directly, reading their earlier state from it.
  for (const id of ids.slice(15)) assert.deepEqual(read(id), [`a-${id}`]);

  // Ten replaced with two values each, five removed, five added; the rest as they were.
  const later = [
    ...ids.slice(0, 10).map((id) => record(id, `b-${id}`, `c-${id}`)),
    ...ids.slice(10, 15).map((id) => record(id)),
    ...["new-0", "new-1", "new-2", "new-3", "new-4"].map((id) => record(id, `n-${id}`)),
  ];
  backend.restore(later, { markChanged: false, bulk: true });
  await backend.whenWritten();
  for (const id of ids.slice(0, 10)) assert.deepEqual(read(id), [`b-${id}`, `c-${id}`]);
  for (const id of ids.slice(10, 15)) assert.deepEqual(read(id), []);
  for (const id of ids.slice(15)) assert.deepEqual(read(id), [`a-${id}`]);
  assert.deepEqual(read("new-3"), ["n-new-3"]);
  assert.deepEqual(counts(), { addresses: 50, values: 60 });

  // Once written, clearing works again.
  backend.clear();
  assert.deepEqual(counts(), { addresses: 0, values: 0 });
  await backend.close();
});
