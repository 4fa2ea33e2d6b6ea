/**
 * Reading one key group's state from the disk backend without caching it: what a savepoint of
 * another number of key groups is re-keyed into when it becomes the base of a new chain. Changes
 * not yet written to LMDB read as the newest state; expired values are left out; and a savepoint
 * of 16 key groups restored into a disk backend of 128 comes back whole from that base.
 */
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import type { StateSpec } from "@statefun-ts/protocol";
import { NO_EXPIRATION, TypedValue, addressOf, stringType } from "@statefun-ts/protocol";
import type { StateRecord } from "@statefun-ts/runtime";
import { createLocalCheckpointStorage, createRuntime, keyGroupOf } from "@statefun-ts/runtime";
import { createStatefulFunctions } from "@statefun-ts/sdk";
import { createDiskStateBackend } from "../src/index.js";
import { tempDirs } from "@statefun-ts/runtime/testing/temp-dirs";

const root = tempDirs("statefun-key-group-records-");

const VALUE: StateSpec = {
  name: "value",
  typename: stringType.typename,
  expiration: NO_EXPIRATION,
};

function byId(records: readonly StateRecord[]): Map<string, string | undefined> {
  return new Map(
    records.map((record) => [
      `${record.functionType}/${record.id}`,
      TypedValue.fromBytes(stringType.typename, record.values[0]?.value ?? new Uint8Array()).as(
        stringType,
      ),
    ]),
  );
}

test("a key group's records are the newest state, written or not, without expired values", async () => {
  const backend = createDiskStateBackend({
    directory: join(await root(), "db"),
    maxKeyGroups: 4,
    flushIntervalMs: 60_000,
  });
  const write = (typename: string, id: string, value: string, ttlMs?: number): void => {
    const spec: StateSpec =
      ttlMs === undefined
        ? VALUE
        : { ...VALUE, expiration: { mode: "after-write", afterMs: ttlMs } };
    backend
      .table(typename)
      .write(id, keyGroupOf(id, 4), [{ spec, value: TypedValue.of(stringType, value) }], 1_000);
  };
  const ids = Array.from({ length: 40 }, (_, i) => `id-${i}`);
  for (const id of ids) write("test/a", id, `a-${id}`);
  for (const id of ids.slice(0, 10)) write("test/b", id, `b-${id}`);
  await backend.whenWritten();
  write("test/a", "id-3", "changed, not yet written");
  write("test/a", "id-4", "expires", 500);

  for (let keyGroup = 0; keyGroup < 4; keyGroup++) {
    const expected = new Map<string, string | undefined>();
    for (const id of ids.filter((candidate) => keyGroupOf(candidate, 4) === keyGroup)) {
      if (id !== "id-4") {
        expected.set(`test/a/${id}`, id === "id-3" ? "changed, not yet written" : `a-${id}`);
      }
      if (ids.indexOf(id) < 10) expected.set(`test/b/${id}`, `b-${id}`);
    }
    const records = backend.keyGroupRecords?.(keyGroup, 2_000) ?? [];
    assert.deepEqual(byId(records), expected, `key group ${keyGroup}`);
  }
  await backend.close();
});

test("a savepoint of 16 key groups restored into a disk backend of 128 comes back whole", async () => {
  const dir = await root();
  const functions = createStatefulFunctions().bind({
    typename: "test/kv",
    state: { value: stringType },
    fn(ctx, message) {
      ctx.storage.value = message.asString();
    },
  });
  const open = async (name: string, maxKeyGroups: number, extra = {}) => {
    const runtime = createRuntime({
      functions: [functions],
      maxKeyGroups,
      stateBackend: createDiskStateBackend({
        directory: join(dir, `db-${name}`),
        maxKeyGroups,
        maxCachedAddresses: 20,
      }),
      checkpointing: {
        storage: await createLocalCheckpointStorage({
          directory: join(dir, `checkpoints-${name}`),
        }),
        intervalMs: 60_000,
        leaseTtlMs: 0,
      },
      ...extra,
    });
    await runtime.start();
    return runtime;
  };
  const ids = Array.from({ length: 200 }, (_, i) => `id-${i}`);
  const first = await open("first", 16);
  for (const id of ids) await first.submit(addressOf("test/kv", id), TypedValue.of(stringType, id));
  await first.whenIdle();
  const savepoints = await createLocalCheckpointStorage({ directory: join(dir, "savepoints") });
  await first.savepoint(savepoints, "sp.sfc");
  await first.stop();

  const second = await open("second", 128, {
    fromSavepoint: { storage: savepoints, name: "sp.sfc" },
  });
  const read = (runtime: typeof second, id: string) =>
    runtime.backend
      .table("test/kv")
      .entries(id, keyGroupOf(id, 128), Date.now())[0]
      ?.value.as(stringType);
  for (const id of ids) assert.equal(read(second, id), id);
  await second.stop();
  const storage = await createLocalCheckpointStorage({
    directory: join(dir, "checkpoints-second"),
  });
  const [base] = await storage.list("checkpoints/chk-");
  assert.ok(base !== undefined, "the re-keyed base");
  // Without the database a clean stop kept, the next start restores from the files: the base.
  await rm(join(dir, "db-second"), { recursive: true, force: true });
  const third = await open("second", 128);
  assert.equal(third.restored?.keptState, false);
  assert.ok((third.restored?.stateRecords ?? 0) >= ids.length);
  for (const id of ids) assert.equal(read(third, id), id);
  await third.stop();
});
