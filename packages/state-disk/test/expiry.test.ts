/**
 * Expiration on the disk backend: the background sweep finds expired values through the expiry
 * index (not by a scan of the state), removes them from the database, and takes a bounded batch
 * of index entries per call.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { TypedValue, stringType } from "@statefun-ts/protocol";
import type { StateSpec } from "@statefun-ts/protocol";
import { keyGroupOf } from "@statefun-ts/runtime";
import { createDiskStateBackend } from "../src/index.js";
import { tempDirs } from "@statefun-ts/runtime/testing/temp-dirs";

const KV = "test/kv";
const root = tempDirs("statefun-expiry-");

function spec(afterMs: number | undefined): StateSpec {
  return {
    name: "value",
    typename: stringType.typename,
    expiration: afterMs === undefined ? { mode: "none" } : { mode: "after-write", afterMs },
  };
}

test("expired values are swept out of the database, at most 10,000 index entries per sweep", async () => {
  // A cache far smaller than the state: most addresses are only in the database when swept.
  const backend = createDiskStateBackend({
    directory: join(await root(), "db"),
    maxCachedAddresses: 100,
  });
  const table = backend.table(KV);
  const groups = [
    { prefix: "soon-", count: 10_050, spec: spec(1000) },
    { prefix: "later-", count: 5, spec: spec(5000) },
    { prefix: "never-", count: 5, spec: spec(undefined) },
  ];
  for (const { prefix, count, spec: valueSpec } of groups) {
    for (let i = 0; i < count; i++) {
      const id = `${prefix}${i}`;
      const value = TypedValue.of(stringType, id);
      table.write(id, keyGroupOf(id, 128), [{ spec: valueSpec, value }], 0);
    }
  }
  await backend.whenWritten();
  assert.equal(backend.liveValues(), 10_060);
  // What the database holds of an address read as of time 0, before anything expired: only a
  // value that is gone from it reads as absent.
  const stored = (id: string, valueSpec: StateSpec) =>
    table.read(id, keyGroupOf(id, 128), [valueSpec], 0)[0]?.as(stringType);

  assert.equal(backend.sweepExpired(999), 0, "nothing is due yet");
  assert.equal(backend.sweepExpired(2000), 10_000, "one batch of index entries");
  // The removed index entries and states are written in the next batch, as other changes are.
  await backend.whenWritten();
  assert.equal(backend.sweepExpired(2000), 50, "the rest of the due entries");
  await backend.whenWritten();
  assert.equal(backend.sweepExpired(2000), 0, "the index holds nothing due any more");
  assert.equal(backend.liveValues(), 10);
  assert.equal(stored("soon-0", groups[0]!.spec), undefined);
  assert.equal(stored("soon-10049", groups[0]!.spec), undefined);
  assert.equal(stored("later-0", groups[1]!.spec), "later-0");
  assert.deepEqual(backend.functionTypes(), [{ typename: KV, addresses: 10 }]);

  assert.equal(backend.sweepExpired(6000), 5);
  await backend.whenWritten();
  assert.equal(backend.liveValues(), 5);
  assert.equal(stored("later-4", groups[1]!.spec), undefined);
  assert.equal(stored("never-4", groups[2]!.spec), "never-4");
  assert.deepEqual(backend.functionTypes(), [{ typename: KV, addresses: 5 }]);
  await backend.close();
});

test("a value written again before it expires is swept at its new time, not its first", async () => {
  const backend = createDiskStateBackend({ directory: join(await root(), "db") });
  const table = backend.table(KV);
  const valueSpec = spec(1000);
  const keyGroup = keyGroupOf("renewed", 128);
  const write = (value: string, nowMs: number) =>
    table.write(
      "renewed",
      keyGroup,
      [{ spec: valueSpec, value: TypedValue.of(stringType, value) }],
      nowMs,
    );
  write("first", 0);
  await backend.whenWritten();
  write("second", 800);
  await backend.whenWritten();
  // The first index entry is due, but the value now expires at 1,800.
  assert.equal(backend.sweepExpired(1200), 0);
  await backend.whenWritten();
  assert.equal(table.read("renewed", keyGroup, [valueSpec], 1200)[0]?.as(stringType), "second");
  assert.equal(backend.sweepExpired(2000), 1);
  await backend.whenWritten();
  assert.equal(table.read("renewed", keyGroup, [valueSpec], 0)[0], undefined);
  assert.equal(backend.liveValues(), 0);
  await backend.close();
});
