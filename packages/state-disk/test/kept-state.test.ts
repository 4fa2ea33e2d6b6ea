/**
 * The database kept across a clean stop, with real runtimes, a real LMDB directory and real
 * checkpoint files: the next start from the same checkpoint uses it as it is (counts and address
 * filter included) and builds on it; anything else — a stop whose last checkpoint failed, a
 * recovery that restores another checkpoint, a start without checkpoints — rebuilds or empties
 * it, so that no change missing from the checkpoints survives.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { TypedValue, stringType } from "@statefun-ts/protocol";
import type { StateSpec } from "@statefun-ts/protocol";
import type { CheckpointStorage, Runtime } from "@statefun-ts/runtime";
import { createLocalCheckpointStorage, createRuntime, keyGroupOf } from "@statefun-ts/runtime";
import { createDiskStateBackend } from "../src/index.js";
import { KV, breakable, kvFunctions, put, valueOf } from "./kv-runtime.js";
import { tempDirs } from "@statefun-ts/runtime/testing/temp-dirs";

const IDS = Array.from({ length: 300 }, (_, i) => `id-${i}`);
const root = tempDirs("statefun-kept-");

async function directories(): Promise<{ db: string; checkpoints: string }> {
  const dir = await root();
  return { db: join(dir, "db"), checkpoints: join(dir, "checkpoints") };
}

async function start(
  dirs: { db: string; checkpoints: string },
  storage?: CheckpointStorage,
  checkpointing = true,
): Promise<Runtime> {
  const runtime = createRuntime({
    functions: [kvFunctions],
    stateBackend: createDiskStateBackend({ directory: dirs.db, maxCachedAddresses: 50 }),
    ...(checkpointing
      ? {
          checkpointing: {
            storage:
              storage ?? (await createLocalCheckpointStorage({ directory: dirs.checkpoints })),
            intervalMs: 60_000,
            leaseTtlMs: 0,
          },
        }
      : {}),
  });
  await runtime.start();
  return runtime;
}

function addressesOf(runtime: Runtime): number {
  return runtime.backend.functionTypes().find((type) => type.typename === KV)?.addresses ?? 0;
}

test("a clean stop keeps the database; the next start from its checkpoint uses it as it is", async () => {
  const dirs = await directories();
  const first = await start(dirs);
  await put(first, IDS, "one");
  await first.stop();
  assert.ok(existsSync(join(dirs.db, "kept.json")), "the marker of the kept database");

  const second = await start(dirs);
  assert.equal(existsSync(join(dirs.db, "kept.json")), false, "taken away at the start");
  assert.equal(second.restored?.keptState, true);
  assert.equal(second.restored?.stateRecords, 0, "no state record restored");
  assert.equal(addressesOf(second), IDS.length, "the counts came back");
  for (const id of IDS) assert.equal(valueOf(second, id), "one", id);
  // The address filter came back too: known addresses are found, new ones are new.
  await put(second, ["id-0", "new-0"], "two");
  assert.equal(valueOf(second, "new-0"), "two");
  assert.equal(addressesOf(second), IDS.length + 1);
  await second.whenDurable();
  const storage = breakable(await createLocalCheckpointStorage({ directory: dirs.checkpoints }));
  await second.stop();

  // The checkpoints written on top of the kept database restore everything from the files.
  const third = await start(dirs, storage);
  assert.equal(third.restored?.keptState, true);
  await put(third, ["id-1"], "three");
  await third.whenDurable();
  await put(third, ["id-2"], "lost");
  storage.broken = true;
  await third.stop();
  assert.equal(existsSync(join(dirs.db, "kept.json")), false, "the last checkpoint failed");

  const fourth = await start(dirs);
  assert.equal(fourth.restored?.keptState, false, "rebuilt from the checkpoint files");
  assert.ok((fourth.restored?.stateRecords ?? 0) >= IDS.length);
  assert.equal(addressesOf(fourth), IDS.length + 1);
  assert.equal(valueOf(fourth, "id-0"), "two");
  assert.equal(valueOf(fourth, "new-0"), "two");
  assert.equal(valueOf(fourth, "id-1"), "three");
  assert.equal(valueOf(fourth, "id-2"), "one", "the change after the last checkpoint is gone");
  await fourth.stop();
});

test("a kept database is dropped when recovery restores another checkpoint", async () => {
  const dirs = await directories();
  const first = await start(dirs);
  await put(first, IDS, "one");
  await first.whenDurable();
  await put(first, ["id-5"], "two");
  await first.stop();
  const storage = await createLocalCheckpointStorage({ directory: dirs.checkpoints });
  const names = await storage.list("checkpoints/chk-");
  // The last checkpoint is gone (lost with a volume, say): recovery takes the one before.
  await storage.delete(names.at(-1) as string);

  const second = await start(dirs);
  assert.equal(second.restored?.keptState, false);
  assert.equal(valueOf(second, "id-5"), "one", "the kept database held a later change");
  assert.equal(addressesOf(second), IDS.length);
  await second.stop();
});

test("a start without checkpoints drops a kept database", async () => {
  const dirs = await directories();
  const first = await start(dirs);
  await put(first, IDS, "one");
  await first.stop();
  assert.ok(existsSync(join(dirs.db, "kept.json")));

  const volatile = await start(dirs, undefined, false);
  assert.equal(addressesOf(volatile), 0);
  assert.equal(valueOf(volatile, "id-0"), undefined);
  await volatile.stop();
  assert.equal(existsSync(join(dirs.db, "kept.json")), false, "nothing kept without checkpoints");
});

test("a marker of another database layout, or a damaged one, is ignored and the database rebuilt", async () => {
  const dirs = await directories();
  const first = await start(dirs);
  await put(first, IDS, "one");
  await first.stop();
  const marker = join(dirs.db, "kept.json");
  const kept = JSON.parse(await readFile(marker, "utf8")) as Record<string, unknown>;
  assert.equal(kept.layout, 3);
  // As the previous layout (a layered Bloom filter) would have kept it.
  await writeFile(marker, JSON.stringify({ ...kept, layout: 2 }));

  const second = await start(dirs);
  assert.equal(second.restored?.keptState, false);
  assert.equal(existsSync(marker), false);
  assert.equal(valueOf(second, "id-7"), "one");
  await second.stop();

  await writeFile(marker, "{ not json");
  const third = await start(dirs);
  assert.equal(third.restored?.keptState, false);
  assert.equal(addressesOf(third), IDS.length);
  await third.stop();
});

test("a database that cannot be kept at a stop is restored from the checkpoint at the next start", async () => {
  const dirs = await directories();
  const first = await start(dirs);
  await put(first, IDS, "one");
  // A directory where the marker goes: its rename fails, as a write to a full disk would.
  await mkdir(join(dirs.db, "kept.json", "in-the-way"), { recursive: true });
  await first.stop();
  await rm(join(dirs.db, "kept.json"), { recursive: true });

  const second = await start(dirs);
  assert.equal(second.restored?.keptState, false);
  assert.equal(addressesOf(second), IDS.length);
  for (const id of IDS) assert.equal(valueOf(second, id), "one", id);
  await second.stop();
});

test("addresses changed before the kept database is resumed are found after their eviction", async () => {
  const dirs = await directories();
  const first = await start(dirs);
  await put(first, IDS, "one");
  await first.stop();
  const kept = JSON.parse(await readFile(join(dirs.db, "kept.json"), "utf8")) as {
    checkpoint: { id: number; name: string };
  };

  const backend = createDiskStateBackend({ directory: dirs.db, maxCachedAddresses: 50 });
  try {
    const table = backend.table(KV);
    const spec: StateSpec = {
      name: "value",
      typename: stringType.typename,
      expiration: { mode: "none" },
    };
    const early = Array.from({ length: 200 }, (_, i) => `early-${i}`);
    for (const id of early) {
      table.write(
        id,
        keyGroupOf(id, backend.maxKeyGroups),
        [{ spec, value: TypedValue.of(stringType, id) }],
        0,
      );
    }
    assert.equal(backend.resume?.(kept.checkpoint), true, "the kept database is used");
    await backend.whenWritten();
    // Reading them all back evicts them, 150 at a time: each is then looked up in the database.
    for (let round = 0; round < 2; round++) {
      for (const id of early) {
        const [value] = table.read(id, keyGroupOf(id, backend.maxKeyGroups), [spec], 0);
        assert.equal(value?.as(stringType), id, `${id} in round ${round}`);
      }
    }
  } finally {
    await backend.close();
  }
});
