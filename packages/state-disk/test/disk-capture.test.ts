/**
 * The disk backend's capture by cache entry, with a cache far smaller than what changes: marked
 * entries the cache evicts stay hollow with their state while as many are held as the cache
 * holds, and leave their table beyond that (the tracker keeps their ids); those the capture in
 * progress needs stay hollow; hollow entries stay until the capture that takes them is released;
 * a capture writes the cut's state of every captured address however often it was evicted,
 * reloaded and changed since; an abandoned capture's addresses go into the next one. Past the ids
 * the tracker may keep, a capture is full: every address's state at the cut.
 *
 * Values that do not expire also have records: the write-behind keeps the record it encodes of a
 * marked entry's state for the capture, within a bound, and an entry with a record leaves the
 * cache hollow without its state. The tests run with values that expire (in a day: no records)
 * and with values that do not.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import type { StateSpec } from "@statefun-ts/protocol";
import { NO_EXPIRATION, TypedValue, stringType } from "@statefun-ts/protocol";
import type { StateChangeCapture, StateRecordSink, StateValueSource } from "@statefun-ts/runtime";
import { decodeStateRecord, decodeStateValues } from "@statefun-ts/runtime";
import { createDiskStateBackend } from "../src/index.js";
import type { DiskStateBackend } from "../src/index.js";
import type { DiskStateTable } from "../src/disk-table.js";
import { RECORDS_PER_CACHED_ADDRESS } from "../src/disk-store.js";
import { tempDirs } from "@statefun-ts/runtime/testing/temp-dirs";

const root = tempDirs("statefun-disk-capture-");
const TYPE = "test/t";
/** Values that expire a day after they are written (at 1 ms): the write-behind keeps no records. */
const EXPIRING: StateSpec = {
  name: "v",
  typename: stringType.typename,
  expiration: { mode: "after-write", afterMs: 86_400_000 },
};
const LASTING: StateSpec = { name: "v", typename: stringType.typename, expiration: NO_EXPIRATION };
/** The spec of the values the tests write (set per group of tests). */
let VALUE = EXPIRING;

/** A group of tests that write values of `spec`. */
function withValues(label: string, spec: StateSpec, tests: () => void): void {
  describe(label, () => {
    before(() => {
      VALUE = spec;
    });
    tests();
  });
}
const IDS = Array.from({ length: 12 }, (_, i) => `id-${i}`);
const MAX_CACHED = 4;

async function open(maxTrackedChanges?: number): Promise<DiskStateBackend> {
  const backend = createDiskStateBackend({
    directory: join(await root(), "db"),
    maxKeyGroups: 1,
    maxCachedAddresses: MAX_CACHED,
    flushIntervalMs: 1,
    ...(maxTrackedChanges === undefined ? {} : { maxTrackedChanges }),
  });
  backend.trackChanges();
  return backend;
}

function write(backend: DiskStateBackend, id: string, text: string | undefined): void {
  const value = text === undefined ? undefined : TypedValue.of(stringType, text);
  backend.table(TYPE).write(id, 0, [{ spec: VALUE, value }], 1);
}

/** A backend with every id written as `text`, and the writes in the database. */
async function openWritten(text: string, maxTrackedChanges?: number): Promise<DiskStateBackend> {
  const backend = await open(maxTrackedChanges);
  for (const id of IDS) write(backend, id, text);
  await backend.whenWritten();
  return backend;
}

/**
 * Reads every address through the cache, so that each is reloaded and others are evicted, and
 * waits for the writes.
 */
async function readAll(backend: DiskStateBackend): Promise<void> {
  for (const id of IDS) backend.table(TYPE).read(id, 0, [VALUE], 1);
  await backend.whenWritten();
}

/** Addresses the last {@link captured} took from records (`addRecord`). */
let fromRecords = 0;

/** What a capture writes: id → the text of its value. */
function captured(capture: StateChangeCapture): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  fromRecords = 0;
  const put = (id: string, value: TypedValue | undefined): void => {
    assert.ok(!out.has(id), `${id} written once`);
    out.set(id, value?.as(stringType));
  };
  const sink: StateRecordSink = {
    addAddress(_type, id, values) {
      const value = (Array.isArray(values) ? values[0] : values) as StateValueSource | undefined;
      put(id, value && TypedValue.fromBytes(value.typename, value.encoded()));
    },
    addStoredAddress(_type, id, stored) {
      const [value] = decodeStateValues(stored);
      put(id, value && TypedValue.fromBytes(value.typename, value.value.slice()));
    },
    addEncodedRecords(records, count) {
      let at = 0;
      for (let i = 0; i < count; i++) {
        // Each record after its length (a varint).
        let length = 0;
        for (let scale = 1; ; scale *= 128) {
          const byte = records[at++] as number;
          length += (byte & 0x7f) * scale;
          if (byte < 0x80) break;
        }
        fromRecords++;
        const { id, values } = decodeStateRecord(records.subarray(at, at + length));
        at += length;
        const [value] = values;
        put(id, value && TypedValue.fromBytes(value.typename, value.value.slice()));
      }
      assert.equal(at, records.length, "records end where the bytes do");
    },
  };
  for (const keyGroup of capture.keyGroups()) capture.write(keyGroup, sink);
  return out;
}

/** Entries of the table, hollow ones included. */
function entries(backend: DiskStateBackend): number {
  return (backend.table(TYPE) as DiskStateTable).cached.size;
}

/** Ids of the table's entries that are hollow (evicted, kept for a capture), or else cached. */
function tableIds(backend: DiskStateBackend, hollow: boolean): Set<string> {
  const ids = new Set<string>();
  (backend.table(TYPE) as DiskStateTable).cached.forEach((entry) => {
    if (entry.slot < 0 === hollow) ids.add(entry.id);
  });
  return ids;
}

const hollowIds = (backend: DiskStateBackend): Set<string> => tableIds(backend, true);

for (const [label, spec] of [
  ["values that expire", EXPIRING],
  ["values that do not expire", LASTING],
] as const) {
  withValues(label, spec, () => {
    test("a capture writes the cut's state of addresses evicted, reloaded and changed since", async () => {
      const backend = await openWritten("cut");
      assert.ok(backend.cachedAddresses() <= MAX_CACHED);
      if (VALUE === EXPIRING) {
        // Evicted while marked as changed: as many hollow, holding their state, as the cache holds;
        // out of the table beyond that, their ids tracked.
        assert.equal(hollowIds(backend).size, MAX_CACHED);
        assert.equal(entries(backend), backend.cachedAddresses() + MAX_CACHED);
        assert.ok(
          IDS.length > backend.cachedAddresses() + MAX_CACHED,
          "some ids are tracked by id",
        );
      } else {
        // Those with a record hollow without their state; the others as above.
        let stateless = 0;
        (backend.table(TYPE) as DiskStateTable).cached.forEach((entry) => {
          if (entry.slot >= 0 || entry.held) return;
          assert.equal(entry.state, undefined);
          stateless++;
        });
        assert.ok(stateless > 0, "hollow entries without their state");
        assert.equal(entries(backend), backend.cachedAddresses() + hollowIds(backend).size);
      }

      const capture = backend.captureChanges(1);
      for (let round = 0; round < 3; round++) {
        // Every address reloaded, half of them changed (the second time in this epoch too).
        await readAll(backend);
        IDS.forEach((id, i) => {
          if (i % 2 === 0) write(backend, id, `after ${round}`);
        });
        await backend.whenWritten();
      }
      assert.deepEqual(captured(capture), new Map(IDS.map((id) => [id, "cut"])));
      // The records of every address written before the cut.
      assert.equal(fromRecords, VALUE === EXPIRING ? 0 : IDS.length);
      const changedSinceCut = new Set(IDS.filter((_, i) => i % 2 === 0));
      const unchangedHollow = () =>
        [...hollowIds(backend)].filter((id) => !changedSinceCut.has(id));
      assert.ok(unchangedHollow().length > 0, "hollow entries wait for the release");
      capture.release();
      // Released: hollow entries are only those changed since, for the next capture.
      assert.deepEqual(unchangedHollow(), []);
      await readAll(backend);
      assert.deepEqual(unchangedHollow(), []);

      const next = backend.captureChanges(2);
      assert.deepEqual(
        captured(next),
        new Map(IDS.filter((_, i) => i % 2 === 0).map((id) => [id, "after 2"])),
      );
      next.release();
      await readAll(backend);
      assert.equal(backend.changedSinceCapture?.(), false);
      assert.equal(entries(backend), backend.cachedAddresses());
      assert.ok(entries(backend) <= MAX_CACHED);
      await backend.close();
    });

    test("an abandoned capture's addresses, changed since or not, go into the next capture", async () => {
      const backend = await openWritten("first");
      const abandoned = backend.captureChanges(1);
      write(backend, "id-1", "second");
      await readAll(backend);
      // One key group written before the checkpoint failed: it is written again all the same.
      captured(abandoned);
      abandoned.abandon();
      assert.equal(backend.changedSinceCapture?.(), true);

      const next = backend.captureChanges(2);
      assert.deepEqual(
        captured(next),
        new Map(IDS.map((id) => [id, id === "id-1" ? "second" : "first"])),
      );
      next.release();
      await readAll(backend);
      assert.equal(entries(backend), backend.cachedAddresses());
      await backend.close();
    });

    test("an abandoned capture keeps the cut of addresses it had not written yet", async () => {
      const backend = await openWritten("first");
      const abandoned = backend.captureChanges(1);
      abandoned.abandon();
      write(backend, "id-2", "second");
      await readAll(backend);
      const next = backend.captureChanges(2);
      write(backend, "id-3", "after the cut");
      await readAll(backend);
      assert.deepEqual(
        captured(next),
        new Map(IDS.map((id) => [id, id === "id-2" ? "second" : "first"])),
      );
      next.release();
      await backend.close();
    });

    test("a capture writes addresses it holds by id only from the database", async () => {
      const backend = await openWritten("cut");
      const capture = backend.captureChanges(1);
      assert.deepEqual(captured(capture), new Map(IDS.map((id) => [id, "cut"])));
      // Changed after its key group was written: for the next capture only.
      write(backend, "id-5", "after");
      await readAll(backend);
      capture.release();
      const next = backend.captureChanges(2);
      assert.deepEqual(captured(next), new Map([["id-5", "after"]]));
      next.release();
      await backend.close();
    });

    test("an address deleted, evicted and written again is captured once, with its newest state", async () => {
      const backend = await open();
      // A delete of a value the address never had: changed, but nothing in the database.
      backend.table(TYPE).write("ghost", 0, [{ spec: VALUE, value: undefined }], 1);
      for (const id of IDS) write(backend, id, "v");
      await backend.whenWritten();
      await readAll(backend);
      assert.equal(
        entries(backend) - hollowIds(backend).size,
        backend.cachedAddresses(),
        "every entry not hollow is cached",
      );
      assert.ok(!tableIds(backend, false).has("ghost"), "the ghost's entry evicted");
      write(backend, "ghost", "back");
      const capture = backend.captureChanges(1);
      assert.deepEqual(
        captured(capture),
        new Map([...IDS.map((id): [string, string] => [id, "v"]), ["ghost", "back"]]),
      );
      capture.release();
      await backend.close();
    });
  });
}

withValues("records (values that do not expire)", LASTING, () => {
  test("records are kept up to their bound; the capture reads the others", async () => {
    const backend = await open();
    const bound = RECORDS_PER_CACHED_ADDRESS * MAX_CACHED;
    const ids = Array.from({ length: bound + 5 }, (_, i) => `many-${i}`);
    for (const id of ids) write(backend, id, id);
    await backend.whenWritten();
    const capture = backend.captureChanges(1);
    assert.deepEqual(captured(capture), new Map(ids.map((id) => [id, id])));
    assert.equal(fromRecords, bound);
    capture.release();
    await backend.close();
  });

  test("a record holds until its entry changes, and a change after the cut keeps it", async () => {
    const backend = await open();
    write(backend, "id-0", "first");
    await backend.whenWritten();
    // Changed again before the cut, not written yet: the record of "first" no longer holds.
    write(backend, "id-0", "second");
    const first = backend.captureChanges(1);
    assert.deepEqual(captured(first), new Map([["id-0", "second"]]));
    assert.equal(fromRecords, 0);
    first.release();
    await backend.whenWritten();
    write(backend, "id-0", "third");
    await backend.whenWritten();
    const second = backend.captureChanges(2);
    // After the cut: the capture's record is the cut's state.
    write(backend, "id-0", "fourth");
    await backend.whenWritten();
    assert.deepEqual(captured(second), new Map([["id-0", "third"]]));
    assert.equal(fromRecords, 1);
    second.release();
    const third = backend.captureChanges(3);
    assert.deepEqual(captured(third), new Map([["id-0", "fourth"]]));
    assert.equal(fromRecords, 1);
    third.release();
    await backend.close();
  });
});

withValues("full captures (values that expire)", EXPIRING, () => {
  test("past the tracked ids allowed, the next capture is full: every address as of the cut", async () => {
    // 12 addresses, 8 of them evicted while marked: more than max(2, 12 / 4) ids.
    const backend = await openWritten("cut", 2);
    const full = backend.captureChanges(1);
    assert.equal(full.full, true);
    // After the cut: a deletion, a change and a new address, all of them in the database, and
    // every address evicted and reloaded.
    write(backend, "id-0", undefined);
    write(backend, "id-1", "after");
    write(backend, "new", "after");
    await backend.whenWritten();
    await readAll(backend);
    assert.deepEqual(captured(full), new Map(IDS.map((id) => [id, "cut"])));
    full.release();
    await readAll(backend);
    // Hollow: only addresses changed since the cut, for the next capture.
    const changedSinceCut = new Set(["id-0", "id-1", "new"]);
    assert.deepEqual(
      [...hollowIds(backend)].filter((id) => !changedSinceCut.has(id)),
      [],
    );
    assert.equal(entries(backend), backend.cachedAddresses() + hollowIds(backend).size);

    // Three changes are within what is allowed: an incremental capture again.
    const next = backend.captureChanges(2);
    assert.notEqual(next.full, true);
    assert.deepEqual(
      captured(next),
      new Map<string, string | undefined>([
        ["id-0", undefined],
        ["id-1", "after"],
        ["new", "after"],
      ]),
    );
    next.release();
    await backend.close();
  });

  test("an abandoned full capture makes the next one full, with the changes since", async () => {
    const backend = await openWritten("first", 2);
    const abandoned = backend.captureChanges(1);
    assert.equal(abandoned.full, true);
    write(backend, "id-2", "second");
    abandoned.abandon();
    await readAll(backend);
    const next = backend.captureChanges(2);
    assert.equal(next.full, true);
    assert.deepEqual(
      captured(next),
      new Map(IDS.map((id) => [id, id === "id-2" ? "second" : "first"])),
    );
    next.release();
    await backend.close();
  });

  test("a full capture writes changes made before the cut that the database does not hold yet", async () => {
    const backend = await openWritten("cut", 2);
    write(backend, "id-3", "late");
    write(backend, "id-4", undefined);
    // Read before the write-behind wrote them: the database still has "cut" for both.
    const full = backend.captureChanges(1);
    assert.equal(full.full, true);
    const expected = new Map(IDS.map((id) => [id, id === "id-3" ? "late" : "cut"]));
    expected.delete("id-4");
    assert.deepEqual(captured(full), expected);
    full.release();
    await backend.close();
  });
});
