/**
 * The behaviour every {@link CheckpointStorage} must have, as one `node:test` suite that each
 * implementation's tests run against a fresh storage: write/read/size, byte ranges, listing by
 * prefix, idempotent delete, atomic replacement, invisibility until complete, failed writes that
 * leave nothing, and the error codes. Published as `@statefun-ts/runtime/testing/storage-conformance`
 * so that storage packages (and third-party ones) run the same checks.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StatefunError } from "@statefun-ts/protocol";
import type { CheckpointStorage } from "../../src/checkpoint/storage.js";

/** What an implementation under test can promise beyond the common contract. */
export interface StorageConformanceOptions {
  /**
   * Whether a reader racing an overwrite sees the old or the new bytes, never a mix. True for a
   * local directory and for S3; false for test servers that overwrite objects in place (s3rver).
   * Default: true.
   */
  readonly atomicOverwriteUnderReads?: boolean;
}

/** `length` bytes of a pattern that differs per `seed`, so that mixed-up bytes are detected. */
export function patternBytes(length: number, seed = 0): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return bytes;
}

/** Splits bytes into chunks of at most `size` bytes. */
export function chunksOf(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    chunks.push(bytes.slice(offset, offset + size));
  }
  return chunks;
}

/** Yields `chunks` one per macrotask, so other I/O interleaves with the write. */
export async function* slowly(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) {
    await new Promise((resolve) => setImmediate(resolve));
    yield chunk;
  }
}

/** Awaits `promise`, which must reject with a StatefunError of `code`; returns the error. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: StatefunError["code"],
): Promise<StatefunError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof StatefunError, `expected a StatefunError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected a ${code} error, but the promise resolved`);
}

/** Runs the conformance suite against storages made by `open` (a fresh, empty one per test). */
export function storageConformance(
  label: string,
  open: () => Promise<CheckpointStorage>,
  options: StorageConformanceOptions = {},
): void {
  const withStorage = (run: (storage: CheckpointStorage) => Promise<void>) => async () => {
    const storage = await open();
    try {
      await run(storage);
    } finally {
      await storage.close();
    }
  };

  describe(`${label}: CheckpointStorage conformance`, () => {
    it(
      "writes objects from sync and async chunks and reads them back with their size",
      withStorage(async (storage) => {
        const bytes = patternBytes(100_000, 1);
        await storage.write("chk/one", chunksOf(bytes, 4096));
        await storage.write("chk/two", slowly(chunksOf(bytes, 30_000)));
        await storage.write("empty", []);
        // Thousands of chunks of every small size, empty ones among them, as a checkpoint of
        // many small sections gives.
        const sizes = Array.from({ length: 3000 }, (_, i) => (i * 7919) % 97);
        const many = patternBytes(
          sizes.reduce((a, b) => a + b, 0),
          3,
        );
        let at = 0;
        await storage.write(
          "chk/many",
          sizes.map((size) => many.slice(at, (at += size))),
        );
        assert.deepEqual(await storage.read("chk/many"), many);
        assert.deepEqual(await storage.read("chk/one"), bytes);
        assert.deepEqual(await storage.read("chk/two"), bytes);
        assert.deepEqual(await storage.read("empty"), new Uint8Array(0));
        assert.equal(await storage.size("chk/one"), 100_000);
        assert.equal(await storage.size("empty"), 0);
      }),
    );

    it(
      "reads byte ranges and rejects ranges outside the object",
      withStorage(async (storage) => {
        const bytes = patternBytes(10_000, 2);
        await storage.write("ranged", chunksOf(bytes, 3000));
        for (const [offset, length] of [
          [0, 1],
          [0, 10_000],
          [2999, 2],
          [9000, 1000],
          [10_000, 0],
        ]) {
          const range = { offset: offset!, length: length! };
          const expected = bytes.slice(range.offset, range.offset + range.length);
          assert.deepEqual(await storage.read("ranged", range), expected, JSON.stringify(range));
        }
        for (const [offset, length] of [
          [9000, 1001],
          [10_000, 1],
          [20_000, 10],
          [10_001, 0],
        ]) {
          const range = { offset: offset!, length: length! };
          const error = await rejectsWith(storage.read("ranged", range), "invalid-argument");
          assert.match(
            error.message,
            /read ranged: range .* past the end of the object \(10000 bytes\)/,
          );
        }
        await rejectsWith(storage.read("ranged", { offset: -1, length: 1 }), "invalid-argument");
        await rejectsWith(storage.read("ranged", { offset: 0, length: 1.5 }), "invalid-argument");
      }),
    );

    it(
      "lists complete objects by prefix in UTF-8 byte order",
      withStorage(async (storage) => {
        const names = ["checkpoints/chk-2", "checkpoints/chk-10", "checkpoints/base-1"];
        names.push("savepoints/sp-1/data", "other", "checkpointsX", "é", "z");
        for (const name of names) await storage.write(name, [patternBytes(10)]);
        const all = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        assert.deepEqual(await storage.list(""), all);
        assert.deepEqual(await storage.list("checkpoints/"), [
          "checkpoints/base-1",
          "checkpoints/chk-10",
          "checkpoints/chk-2",
        ]);
        assert.deepEqual(await storage.list("checkpoints/chk-1"), ["checkpoints/chk-10"]);
        assert.deepEqual(await storage.list("checkpoints"), [
          "checkpoints/base-1",
          "checkpoints/chk-10",
          "checkpoints/chk-2",
          "checkpointsX",
        ]);
        assert.deepEqual(await storage.list("savepoints/sp-1/"), ["savepoints/sp-1/data"]);
        assert.deepEqual(await storage.list("nothing/"), []);
        await rejectsWith(storage.list("../"), "invalid-argument");
      }),
    );

    it(
      "deletes objects idempotently, and writes again where a deleted object was",
      withStorage(async (storage) => {
        await storage.write("a/b/c", [patternBytes(10)]);
        await storage.delete("a/b/c");
        assert.deepEqual(await storage.list("a/"), []);
        await rejectsWith(storage.read("a/b/c"), "storage-failed");
        await storage.delete("a/b/c");
        await storage.delete("never/written");
        await storage.write("a/b/d", [patternBytes(5)]);
        assert.deepEqual(await storage.list(""), ["a/b/d"]);
        assert.deepEqual(await storage.read("a/b/d"), patternBytes(5));
      }),
    );

    it(
      "replaces an object written again under the same name",
      withStorage(async (storage) => {
        await storage.write("replaced", [patternBytes(5000, 1)]);
        await storage.write("replaced", slowly(chunksOf(patternBytes(7000, 2), 1000)));
        assert.deepEqual(await storage.read("replaced"), patternBytes(7000, 2));
        assert.equal(await storage.size("replaced"), 7000);
        assert.deepEqual(await storage.list("replaced"), ["replaced"]);
      }),
    );

    it(
      "keeps an object invisible until its write completes",
      withStorage(async (storage) => {
        await storage.write("existing", [patternBytes(100, 1)]);
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        let paused!: () => void;
        const reachedPause = new Promise<void>((resolve) => (paused = resolve));
        async function* pausing(seed: number): AsyncGenerator<Uint8Array> {
          yield patternBytes(50, seed);
          paused();
          await released;
          yield patternBytes(50, seed + 1);
        }
        const writes = Promise.all([
          storage.write("fresh", pausing(3)),
          storage.write("existing", pausing(5)),
        ]);
        await reachedPause;
        assert.deepEqual(await storage.list(""), ["existing"]);
        await rejectsWith(storage.read("fresh"), "storage-failed");
        assert.deepEqual(await storage.read("existing"), patternBytes(100, 1));
        release();
        await writes;
        assert.deepEqual(await storage.list(""), ["existing", "fresh"]);
        assert.deepEqual(
          await storage.read("fresh", { offset: 50, length: 50 }),
          patternBytes(50, 4),
        );
      }),
    );

    it(
      "rethrows a chunk iterator's error and leaves no trace of the write",
      withStorage(async (storage) => {
        await storage.write("kept", [patternBytes(1000, 1)]);
        const boom = new Error("the chunk source failed");
        async function* failing(): AsyncGenerator<Uint8Array> {
          yield patternBytes(1000, 2);
          await new Promise((resolve) => setImmediate(resolve));
          throw boom;
        }
        await assert.rejects(storage.write("lost", failing()), (error) => error === boom);
        await assert.rejects(storage.write("kept", failing()), (error) => error === boom);
        assert.deepEqual(await storage.list(""), ["kept"]);
        await rejectsWith(storage.read("lost"), "storage-failed");
        assert.deepEqual(await storage.read("kept"), patternBytes(1000, 1));
      }),
    );

    it(
      "fails with storage-failed naming the operation and the object when it is missing",
      withStorage(async (storage) => {
        const read = await rejectsWith(storage.read("missing/object"), "storage-failed");
        assert.match(read.message, /read missing\/object/);
        const ranged = await rejectsWith(
          storage.read("missing/object", { offset: 0, length: 1 }),
          "storage-failed",
        );
        assert.match(ranged.message, /read missing\/object/);
        const size = await rejectsWith(storage.size("missing/object"), "storage-failed");
        assert.match(size.message, /size missing\/object/);
        assert.equal(read.retryable, true);
      }),
    );

    it(
      "rejects invalid object names with invalid-argument",
      withStorage(async (storage) => {
        for (const name of ["", "/a", "a/", "a//b", "../a", "a/./b", ".hidden", "a\\b", "a\nb"]) {
          const error = await rejectsWith(storage.write(name, []), "invalid-argument");
          assert.ok(error.message.includes(JSON.stringify(name)), error.message);
          await rejectsWith(storage.read(name), "invalid-argument");
          await rejectsWith(storage.delete(name), "invalid-argument");
        }
        assert.deepEqual(await storage.list(""), []);
      }),
    );

    it(
      "writes many objects concurrently",
      withStorage(async (storage) => {
        const names = Array.from({ length: 24 }, (_, i) => `group-${i % 3}/object-${i}`);
        await Promise.all(
          names.map((name, i) => storage.write(name, slowly(chunksOf(patternBytes(5000, i), 700)))),
        );
        assert.deepEqual(await storage.list("group-"), [...names].sort());
        for (const [i, name] of names.entries()) {
          assert.deepEqual(await storage.read(name), patternBytes(5000, i), name);
        }
      }),
    );

    it(
      "refuses operations after close, naming the state",
      withStorage(async (storage) => {
        await storage.close();
        const error = await rejectsWith(storage.read("anything"), "illegal-state");
        assert.match(error.message, /closed/);
      }),
    );

    it(
      "gives a reader racing an overwrite the old or the new bytes, never a mix",
      { skip: options.atomicOverwriteUnderReads === false && "the server overwrites in place" },
      withStorage(async (storage) => {
        const size = 1 << 20;
        const versions = [patternBytes(size, 1), patternBytes(size, 2), patternBytes(size, 3)];
        await storage.write("raced", [versions[0]!]);
        for (const next of versions.slice(1)) {
          let done = false;
          const writing = storage.write("raced", slowly(chunksOf(next, 64 * 1024))).finally(() => {
            done = true;
          });
          let reads = 0;
          while (!done || reads === 0) {
            const seen = await storage.read("raced");
            reads += 1;
            assert.ok(
              versions.some((version) => Buffer.compare(version, seen) === 0),
              `read ${reads} returned ${seen.length} bytes that are no complete version`,
            );
          }
          await writing;
        }
        assert.deepEqual(await storage.read("raced"), versions[2]);
      }),
    );
  });
}
