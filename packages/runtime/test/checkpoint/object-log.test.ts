// The object log of the local checkpoint storage (src/checkpoint/object-log.ts, invariant numbers
// cited), exercised through the storage on the real file system: where objects go, replay after
// reopening, a torn last entry, appends sharing one sync, and the cleaning of segments.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFile, readFile, readdir, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  LOG_MAX_OBJECT_BYTES,
  createLocalCheckpointStorage,
} from "../../src/checkpoint/local-storage.js";
import { LOG_DIRECTORY } from "../../src/checkpoint/object-log.js";
import { allFiles, tempDir } from "./temp-dirs.js";
import { patternBytes } from "./storage-conformance.js";
import { runWithFileLimit } from "../file-limit.js";

async function segmentsOf(directory: string): Promise<string[]> {
  return (await readdir(join(directory, LOG_DIRECTORY))).sort();
}

describe("object log", () => {
  it("keeps small objects in one segment and large ones as files (storage invariant 6)", async () => {
    const directory = await tempDir();
    const storage = await createLocalCheckpointStorage({ directory, smallObjectLog: true });
    await storage.write("checkpoints/a", [patternBytes(1000, 1)]);
    await storage.write("checkpoints/b", [patternBytes(2000, 2)]);
    const large = patternBytes(LOG_MAX_OBJECT_BYTES + 1, 3);
    await storage.write("checkpoints/c", [large.subarray(0, 1000), large.subarray(1000)]);
    assert.deepEqual(await allFiles(directory), [
      `${LOG_DIRECTORY}/00000000000000000001.sfl`,
      "checkpoints/c",
    ]);
    assert.deepEqual(await storage.list("checkpoints/"), [
      "checkpoints/a",
      "checkpoints/b",
      "checkpoints/c",
    ]);
    assert.equal(await storage.size("checkpoints/b"), 2000);
    assert.deepEqual(await storage.read("checkpoints/a"), patternBytes(1000, 1));
    assert.deepEqual(
      await storage.read("checkpoints/b", { offset: 10, length: 20 }),
      patternBytes(2000, 2).subarray(10, 30),
    );
    assert.deepEqual(await storage.read("checkpoints/c"), large);
    await storage.close();
  });

  it("replays the segments when reopened, with or without the option (invariant 2)", async () => {
    const directory = await tempDir();
    const first = await createLocalCheckpointStorage({ directory, smallObjectLog: true });
    await first.write("x/one", [patternBytes(100, 1)]);
    await first.write("x/two", [patternBytes(100, 2)]);
    await first.write("x/one", [patternBytes(50, 3)]); // replaced
    await first.delete("x/two");
    await first.write("x/three", [patternBytes(10, 4)]); // syncs the tombstone too
    await first.close();
    const second = await createLocalCheckpointStorage({ directory });
    assert.deepEqual(await second.list("x/"), ["x/one", "x/three"]);
    assert.deepEqual(await second.read("x/one"), patternBytes(50, 3));
    assert.deepEqual(await second.read("x/three"), patternBytes(10, 4));
    // A plain write of a name the log holds replaces it durably.
    await second.write("x/one", [patternBytes(70, 5)]);
    await second.close();
    const third = await createLocalCheckpointStorage({ directory, smallObjectLog: true });
    assert.deepEqual(await third.read("x/one"), patternBytes(70, 5));
    assert.equal(await third.size("x/one"), 70);
    await third.delete("x/one");
    await third.delete("x/three");
    assert.deepEqual(await third.list(""), []);
    await third.close();
  });

  it("ignores a torn last entry and appends to a new segment after it (invariants 2, 3)", async () => {
    const directory = await tempDir();
    const first = await createLocalCheckpointStorage({ directory, smallObjectLog: true });
    await first.write("t/kept", [patternBytes(300, 1)]);
    await first.write("t/torn", [patternBytes(300, 2)]);
    await first.close();
    const [segment] = await segmentsOf(directory);
    const path = join(directory, LOG_DIRECTORY, segment as string);
    const { size } = await stat(path);
    // Cut the last entry short, as a crash mid-append does.
    await truncate(path, size - 5);
    const second = await createLocalCheckpointStorage({ directory, smallObjectLog: true });
    assert.deepEqual(await second.list("t/"), ["t/kept"]);
    await second.write("t/after", [patternBytes(40, 3)]);
    assert.equal((await segmentsOf(directory)).length, 2, "a new segment, not the torn one");
    await second.close();
    // A damaged byte in an entry ends the replay of its segment there: the CRC catches it.
    const bytes = await readFile(path);
    bytes[20] = (bytes[20] as number) ^ 0xff;
    await writeFile(path, bytes);
    const third = await createLocalCheckpointStorage({ directory });
    assert.deepEqual(await third.list("t/"), ["t/after"]);
    await third.close();
  });

  it("keeps a tombstone as long as an older segment holds an entry it deletes (invariant 5)", async () => {
    const directory = await tempDir();
    const first = await createLocalCheckpointStorage({ directory, smallObjectLog: true });
    // k/a keeps the first segment dense, so that it is neither cleaned nor deleted.
    await first.write("k/a", [patternBytes(1000, 1)]);
    await first.write("k/b", [patternBytes(4, 2)]);
    await first.close();
    // A file replaces the logged k/b: a tombstone in a second segment, which holds nothing else.
    const large = patternBytes(LOG_MAX_OBJECT_BYTES + 1, 3);
    const second = await createLocalCheckpointStorage({ directory });
    await second.write("k/b", [large]);
    await second.close();
    // Opening deletes the emptied second segment; its tombstone must go on, or k/b's logged
    // entry in the first segment would be current again at the next opening.
    for (let opening = 0; opening < 3; opening++) {
      const storage = await createLocalCheckpointStorage({ directory });
      assert.deepEqual(await storage.read("k/b"), large);
      assert.deepEqual(await storage.read("k/a"), patternBytes(1000, 1));
      await storage.close();
    }
  });

  it("ignores garbage appended after the last entry", async () => {
    const directory = await tempDir();
    const first = await createLocalCheckpointStorage({ directory, smallObjectLog: true });
    await first.write("g/one", [patternBytes(30, 1)]);
    await first.close();
    const [segment] = await segmentsOf(directory);
    await appendFile(join(directory, LOG_DIRECTORY, segment as string), Buffer.alloc(64, 0xab));
    const second = await createLocalCheckpointStorage({ directory });
    assert.deepEqual(await second.list(""), ["g/one"]);
    assert.deepEqual(await second.read("g/one"), patternBytes(30, 1));
    await second.close();
  });

  it("reads objects written last from memory, and older ones from their segment", async () => {
    const directory = await tempDir();
    const storage = await createLocalCheckpointStorage({ directory, smallObjectLog: true });
    await storage.write("x/recent", [patternBytes(300, 1), patternBytes(700, 2)]);
    const expected = new Uint8Array([...patternBytes(300, 1), ...patternBytes(700, 2)]);
    // Zero the segment behind the log's back: only what is read from the file changes.
    const segment = join(directory, LOG_DIRECTORY, (await segmentsOf(directory))[0] as string);
    await writeFile(segment, new Uint8Array((await stat(segment)).size));
    assert.deepEqual(await storage.read("x/recent"), expected);
    assert.deepEqual(
      await storage.read("x/recent", { offset: 250, length: 100 }),
      expected.subarray(250, 350),
    );
    const copy = await storage.read("x/recent");
    copy.fill(9);
    assert.deepEqual(await storage.read("x/recent"), expected, "readers get copies");
    // Objects written since push it out of memory (8 MiB): it is then read from the file.
    for (let i = 0; i < 9; i++) await storage.write(`x/big-${i}`, [patternBytes(1024 * 1024, i)]);
    assert.deepEqual(await storage.read("x/recent"), new Uint8Array(1000));
    await storage.write("x/recent", [patternBytes(10, 3)]);
    assert.deepEqual(await storage.read("x/recent"), patternBytes(10, 3), "replaced");
    await storage.delete("x/recent");
    await assert.rejects(storage.read("x/recent"));
    await storage.close();
  });

  it("gives writes made at the same time one append: they land in one segment together", async () => {
    const directory = await tempDir();
    const storage = await createLocalCheckpointStorage({ directory, smallObjectLog: true });
    const names = Array.from({ length: 50 }, (_, i) => `c/${String(i).padStart(3, "0")}`);
    await Promise.all(names.map((name, i) => storage.write(name, [patternBytes(200 + i, i)])));
    assert.deepEqual(await storage.list("c/"), names);
    for (const [i, name] of names.entries()) {
      assert.deepEqual(await storage.read(name), patternBytes(200 + i, i));
    }
    assert.deepEqual(await segmentsOf(directory), ["00000000000000000001.sfl"]);
    await storage.close();
  });

  it("deletes emptied segments and moves the few live objects out of sparse ones (invariant 5)", async () => {
    const directory = await tempDir();
    const storage = await createLocalCheckpointStorage({ directory, smallObjectLog: true });
    // 17 objects of 1 MiB fill the first 16 MiB segment; the 18th starts a second one.
    const big = (i: number) => patternBytes(LOG_MAX_OBJECT_BYTES - 64, i);
    for (let i = 0; i < 18; i++) await storage.write(`s/${String(i).padStart(2, "0")}`, [big(i)]);
    assert.equal((await segmentsOf(directory)).length, 2);
    // Deleting 15 of the first segment's 17 leaves it sparse: its 2 live objects are copied.
    for (let i = 2; i < 17; i++) await storage.delete(`s/${String(i).padStart(2, "0")}`);
    await waitUntil(async () => (await segmentsOf(directory))[0] !== "00000000000000000001.sfl");
    assert.deepEqual(await storage.list("s/"), ["s/00", "s/01", "s/17"]);
    assert.deepEqual(await storage.read("s/00"), big(0));
    assert.deepEqual(await storage.read("s/01"), big(1));
    await storage.delete("s/00");
    await storage.delete("s/01");
    await storage.delete("s/17");
    await storage.write("s/last", [patternBytes(10)]);
    await storage.close();
    // Reopening sees what the live storage saw, and cleans the second segment (now sparse).
    const reopened = await createLocalCheckpointStorage({ directory });
    assert.deepEqual(await reopened.list(""), ["s/last"]);
    await waitUntil(
      async () => !(await segmentsOf(directory)).includes("00000000000000000002.sfl"),
    );
    assert.deepEqual(await reopened.read("s/last"), patternBytes(10));
    await reopened.close();
    let total = 0;
    for (const segment of await segmentsOf(directory)) {
      total += (await stat(join(directory, LOG_DIRECTORY, segment))).size;
    }
    assert.ok(total < 1024, `${total} bytes left in the log`);
  });

  it("matches a model under random writes, deletes and reopenings", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant("write" as const),
              name: fc.constantFrom("a", "b", "c", "d/e"),
              length: fc.oneof(
                fc.integer({ min: 0, max: 300 }),
                fc.constant(LOG_MAX_OBJECT_BYTES + 1),
              ),
              seed: fc.nat(255),
              log: fc.boolean(),
            }),
            fc.record({
              op: fc.constant("delete" as const),
              name: fc.constantFrom("a", "b", "c", "d/e"),
            }),
            fc.record({ op: fc.constant("reopen" as const), log: fc.boolean() }),
          ),
          { maxLength: 25 },
        ),
        async (ops) => {
          const directory = await tempDir();
          const model = new Map<string, Uint8Array>();
          let storage = await createLocalCheckpointStorage({
            directory,
            smallObjectLog: true,
            fsync: false,
          });
          for (const op of ops) {
            if (op.op === "write") {
              const bytes = patternBytes(op.length, op.seed);
              await storage.write(op.name, [bytes]);
              model.set(op.name, bytes);
            } else if (op.op === "delete") {
              await storage.delete(op.name);
              model.delete(op.name);
            } else {
              await storage.close();
              storage = await createLocalCheckpointStorage({
                directory,
                smallObjectLog: op.log,
                fsync: false,
              });
            }
            assert.deepEqual(await storage.list(""), [...model.keys()].sort());
          }
          for (const [name, bytes] of model) assert.deepEqual(await storage.read(name), bytes);
          await storage.close();
          const reopened = await createLocalCheckpointStorage({ directory });
          assert.deepEqual(await reopened.list(""), [...model.keys()].sort());
          for (const [name, bytes] of model) assert.deepEqual(await reopened.read(name), bytes);
          await reopened.close();
        },
      ),
      { numRuns: 40 },
    );
  });
});

async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail("condition not reached within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const LOG_WRITER = fileURLToPath(new URL("./log-crash-writer.js", import.meta.url));

it("keeps every object whose write resolved when the writer is killed mid-append", async () => {
  for (const stopAfter of [37, 400]) {
    const directory = await tempDir();
    const child = spawn(process.execPath, [LOG_WRITER, directory], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const done = new Set<number>();
    let pending = "";
    const exited = new Promise<unknown>((resolve) => child.on("exit", resolve));
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) done.add(Number(line.slice("done ".length)));
      if (done.size >= stopAfter) child.kill("SIGKILL");
    });
    await exited;
    const storage = await createLocalCheckpointStorage({ directory });
    const present = new Set((await storage.list("o/")).map((name) => Number(name.slice(2))));
    for (const n of done) {
      // Objects deleted by the writer may be gone (n ≡ 4 mod 10); all others reported done stay.
      if (n % 10 === 4) continue;
      assert.ok(present.has(n), `o/${n} was reported written but is missing`);
    }
    for (const n of present) {
      assert.deepEqual(await storage.read(`o/${n}`), patternBytes(100 + ((n * 977) % 20_000), n));
    }
    await storage.close();
  }
});

const LOG_CLEANER = fileURLToPath(new URL("./log-clean-child.js", import.meta.url));

it("ends normally when the file system refuses a cleaning's copies, and loses nothing", async () => {
  const directory = await tempDir();
  const first = await createLocalCheckpointStorage({ directory, smallObjectLog: true });
  const bytesOf = (n: number) => patternBytes(2_000 + n, n);
  for (let n = 0; n < 400; n++) await first.write(`o/${n}`, [bytesOf(n)]);
  // A quarter of the segment stays live: the next run cleans it (invariant 5).
  for (let n = 100; n < 400; n++) await first.delete(`o/${n}`);
  await first.close();
  // Under a limit of 1 KiB per file, every copy of a 2 kB object fails, the first ones while the
  // cleaning still reads the next objects to copy.
  const { code, stdout, stderr } = await runWithFileLimit(1, LOG_CLEANER, [directory]);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "closed\n");
  const second = await createLocalCheckpointStorage({ directory, smallObjectLog: true });
  const names = Array.from({ length: 100 }, (_, n) => `o/${n}`);
  assert.deepEqual((await second.list("o/")).sort(), names.sort());
  for (let n = 0; n < 100; n++) assert.deepEqual(await second.read(`o/${n}`), bytesOf(n));
  await second.close();
});
