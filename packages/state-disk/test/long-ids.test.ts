/**
 * Addresses whose id is too long for an LMDB key (about 1,950 UTF-8 bytes or more): their state
 * is kept in memory, never written to the database, and still read, listed, checkpointed and
 * restored like any other; a database missing them is not kept across a stop.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { TypedValue, addressOf, stringType } from "@statefun-ts/protocol";
import type { StateSpec } from "@statefun-ts/protocol";
import type { IdCursor, Runtime } from "@statefun-ts/runtime";
import { createLocalCheckpointStorage, createRuntime, keyGroupOf } from "@statefun-ts/runtime";
import { createStatefulFunctions } from "@statefun-ts/sdk";
import { createDiskStateBackend } from "../src/index.js";
import { tempDirs } from "@statefun-ts/runtime/testing/temp-dirs";

const KV = "test/kv";
const SPEC: StateSpec = {
  name: "value",
  typename: stringType.typename,
  expiration: { mode: "none" },
};
const root = tempDirs("statefun-long-ids-");

/** `count` ids starting with `prefix` that fall in `keyGroup`. */
function idsInKeyGroup(prefix: string, keyGroup: number, count: number): string[] {
  const ids: string[] = [];
  for (let i = 0; ids.length < count; i++) {
    if (keyGroupOf(`${prefix}${i}`, 128) === keyGroup) ids.push(`${prefix}${i}`);
  }
  return ids;
}

test("a long id's state is kept in memory: read, listed page by page and read by key group", async () => {
  const backend = createDiskStateBackend({
    directory: join(await root(), "db"),
    maxCachedAddresses: 4,
  });
  const table = backend.table(KV);
  // 3,000 ASCII bytes, and 2,000 UTF-8 bytes in 1,000 UTF-16 units.
  const long = `a${"x".repeat(2999)}`;
  const wide = "é".repeat(1000);
  const keyGroup = keyGroupOf(long, 128);
  const after = idsInKeyGroup("b-", keyGroup, 3);
  const others = Array.from({ length: 40 }, (_, i) => `id-${i}`);
  const write = (id: string, value: string) =>
    table.write(
      id,
      keyGroupOf(id, 128),
      [{ spec: SPEC, value: TypedValue.of(stringType, value) }],
      0,
    );
  for (const id of [long, wide, ...after, ...others]) write(id, `v:${id.slice(0, 8)}`);
  // Writing behind and evicting the short ids (the cache holds 4) leaves the long ones.
  await backend.whenWritten();
  for (const id of others) table.read(id, keyGroupOf(id, 128), [SPEC], 0);
  await backend.whenWritten();
  for (const id of [long, wide]) {
    const [value] = table.read(id, keyGroupOf(id, 128), [SPEC], 0);
    assert.equal(value?.as(stringType), `v:${id.slice(0, 8)}`);
  }
  // One id a page: the page after the long id starts at a prefix of its key.
  const listed: string[] = [];
  let cursor: IdCursor | undefined;
  do {
    const page = backend.listIds(KV, cursor, 1, 0);
    listed.push(...page.ids);
    cursor = page.next;
  } while (cursor !== undefined);
  assert.deepEqual(
    [...listed].sort(),
    [long, wide, ...after, ...others].sort(),
    "every address listed once",
  );
  const inGroup = listed.filter((id) => keyGroupOf(id, 128) === keyGroup);
  assert.deepEqual(inGroup, [long, ...[...after].sort()], "in id order within the key group");
  const records = backend.keyGroupRecords(keyGroup, 0).map((record) => record.id);
  assert.deepEqual(records.sort(), [long, ...after].sort());
  await backend.close();
});

const functions = createStatefulFunctions().bind({
  typename: KV,
  state: { value: stringType },
  fn(ctx, message) {
    ctx.storage.value = message.asString();
  },
});

async function start(dir: string): Promise<Runtime> {
  const runtime = createRuntime({
    functions: [functions],
    stateBackend: createDiskStateBackend({ directory: join(dir, "db") }),
    checkpointing: {
      storage: await createLocalCheckpointStorage({ directory: join(dir, "checkpoints") }),
      intervalMs: 60_000,
      leaseTtlMs: 0,
    },
  });
  await runtime.start();
  return runtime;
}

test("a long id's state is checkpointed and restored, and the database missing it is not kept", async () => {
  const dir = await root();
  const long = "y".repeat(4000);
  const first = await start(dir);
  await first.submit(addressOf(KV, long), TypedValue.of(stringType, "kept"));
  await first.submit(addressOf(KV, "short"), TypedValue.of(stringType, "also"));
  await first.whenIdle();
  await first.whenDurable();
  await first.stop();
  const second = await start(dir);
  assert.equal(second.restored?.keptState, false, "the database without the long id is rebuilt");
  const read = (id: string) =>
    second.backend.table(KV).read(id, keyGroupOf(id, 128), [SPEC], Date.now())[0]?.as(stringType);
  assert.equal(read(long), "kept");
  assert.equal(read("short"), "also");
  await second.stop();
});

test("a long id's expired values are swept like any other", async () => {
  const backend = createDiskStateBackend({ directory: join(await root(), "db") });
  const table = backend.table(KV);
  const expiring: StateSpec = { ...SPEC, expiration: { mode: "after-write", afterMs: 1000 } };
  const long = "z".repeat(3000);
  const keyGroup = keyGroupOf(long, 128);
  table.write(long, keyGroup, [{ spec: expiring, value: TypedValue.of(stringType, "brief") }], 0);
  assert.equal(backend.liveValues(), 1);
  assert.equal(table.read(long, keyGroup, [expiring], 999)[0]?.as(stringType), "brief");
  assert.equal(backend.sweepExpired(500), 0, "not expired yet");
  assert.equal(backend.sweepExpired(5000), 1, "swept once expired");
  assert.equal(backend.liveValues(), 0);
  assert.deepEqual(backend.functionTypes(), [], "no address holds state any more");
  await backend.close();
});
