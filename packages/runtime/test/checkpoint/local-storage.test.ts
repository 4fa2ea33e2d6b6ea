// The local-directory checkpoint storage on the real file system: the shared conformance suite,
// then what is specific to files (layout, temporary files, directory pruning, I/O errors naming
// the path, options). Invariant numbers refer to src/checkpoint/local-storage.ts.
import assert from "node:assert/strict";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { StatefunError } from "@statefun-ts/protocol";
import { createLocalCheckpointStorage } from "../../src/checkpoint/local-storage.js";
import { allFiles, tempDir } from "./temp-dirs.js";
import { patternBytes, rejectsWith, storageConformance } from "./storage-conformance.js";

storageConformance("local directory", async () =>
  createLocalCheckpointStorage({ directory: await tempDir() }),
);
storageConformance("local directory without fsync", async () =>
  createLocalCheckpointStorage({ directory: await tempDir(), fsync: false }),
);
storageConformance("local directory with the small-object log", async () =>
  createLocalCheckpointStorage({ directory: await tempDir(), smallObjectLog: true }),
);

describe("local checkpoint storage", () => {
  it("creates a missing directory with its parents and stores names as nested files", async () => {
    const directory = join(await tempDir(), "state", "checkpoints");
    const storage = await createLocalCheckpointStorage({ directory });
    assert.equal(storage.location, directory);
    assert.equal(storage.staleTempFilesRemoved, 0);
    await storage.write("chk/00001/part", [patternBytes(10)]);
    assert.deepEqual(
      new Uint8Array(await readFile(join(directory, "chk", "00001", "part"))),
      patternBytes(10),
    );
    await storage.close();
  });

  it("resolves a relative directory against the working directory", async () => {
    const base = await tempDir();
    const cwd = process.cwd();
    process.chdir(base);
    try {
      const storage = await createLocalCheckpointStorage({ directory: "relative" });
      assert.equal(storage.directory, join(base, "relative"));
      await storage.close();
    } finally {
      process.chdir(cwd);
    }
  });

  it("keeps objects across reopening, and hides temporary and dot files from list", async () => {
    const directory = await tempDir();
    const first = await createLocalCheckpointStorage({ directory });
    await first.write("a/one", [patternBytes(3, 1)]);
    await first.close();
    await writeFile(join(directory, "a", ".notes"), "operator notes");
    const second = await createLocalCheckpointStorage({ directory });
    assert.deepEqual(await second.list(""), ["a/one"]);
    assert.deepEqual(await second.read("a/one"), patternBytes(3, 1));
    await second.close();
  });

  it("writes through a temporary file in the object's directory (invariant 1)", async () => {
    const directory = await tempDir();
    const storage = await createLocalCheckpointStorage({ directory });
    let seen: string[] = [];
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield patternBytes(1000, 1);
      seen = await allFiles(directory);
      yield patternBytes(1000, 2);
    }
    await storage.write("chk/object", chunks());
    assert.equal(seen.length, 1, String(seen));
    assert.match(seen[0]!, /^chk\/\.tmp-object-\d+-[0-9a-f]{12}$/);
    await assert.rejects(stat(join(directory, seen[0]!)), { code: "ENOENT" });
    assert.deepEqual(await allFiles(directory), ["chk/object"]);
    await storage.close();
  });

  it("removes the temporary file when the chunk iterator throws (invariant 3)", async () => {
    const directory = await tempDir();
    const storage = await createLocalCheckpointStorage({ directory });
    await storage.write("deep/kept", [patternBytes(10)]);
    function* failing(): Generator<Uint8Array> {
      yield patternBytes(100_000);
      throw new RangeError("no more chunks");
    }
    await assert.rejects(storage.write("deep/lost", failing()), RangeError);
    await assert.rejects(storage.write("deep/kept", failing()), RangeError);
    assert.deepEqual(await allFiles(directory), ["deep/kept"]);
    await storage.close();
  });

  it("rejects chunks that are not Uint8Arrays and leaves nothing", async () => {
    const directory = await tempDir();
    const storage = await createLocalCheckpointStorage({ directory });
    const chunks = ["text"] as unknown as Uint8Array[];
    const error = await rejectsWith(storage.write("typed", chunks), "invalid-argument");
    assert.match(error.message, /write typed: expected chunks of type Uint8Array, found string/);
    assert.deepEqual(await allFiles(directory), []);
    await storage.close();
  });

  it("removes directories left empty by delete, up to the storage's directory", async () => {
    const directory = await tempDir();
    const storage = await createLocalCheckpointStorage({ directory });
    await storage.write("x/y/z/one", [patternBytes(1)]);
    await storage.write("x/two", [patternBytes(1)]);
    await storage.delete("x/y/z/one");
    await assert.rejects(stat(join(directory, "x", "y")), { code: "ENOENT" });
    assert.ok((await stat(join(directory, "x"))).isDirectory());
    await storage.delete("x/two");
    await assert.rejects(stat(join(directory, "x")), { code: "ENOENT" });
    assert.ok((await stat(directory)).isDirectory());
    await storage.close();
  });

  it("writes into a directory that a concurrent delete is removing", async () => {
    const directory = await tempDir();
    const storage = await createLocalCheckpointStorage({ directory });
    for (let round = 0; round < 20; round++) {
      await storage.write(`r/${round}/old`, [patternBytes(5)]);
      await Promise.all([
        storage.delete(`r/${round}/old`),
        storage.write(`r/${round}/new`, [patternBytes(5, round)]),
      ]);
      assert.deepEqual(await storage.read(`r/${round}/new`), patternBytes(5, round));
    }
    assert.equal((await storage.list("r/")).length, 20);
    await storage.close();
  });

  it("removes stale temporary files when opened (invariant 3)", async () => {
    const directory = await tempDir();
    await mkdir(join(directory, "chk", "deep"), { recursive: true });
    await writeFile(join(directory, ".tmp-a-1-abc"), "torn");
    await writeFile(join(directory, "chk", "deep", ".tmp-b-2-def"), "torn");
    await writeFile(join(directory, "chk", "complete"), "whole");
    const storage = await createLocalCheckpointStorage({ directory });
    assert.equal(storage.staleTempFilesRemoved, 2);
    assert.deepEqual(await allFiles(directory), ["chk/complete"]);
    assert.deepEqual(await storage.list(""), ["chk/complete"]);
    await storage.close();
  });

  it("names the operation and the path in I/O errors", async () => {
    const directory = await tempDir();
    const storage = await createLocalCheckpointStorage({ directory });
    await storage.write("taken/inner", [patternBytes(1)]);
    const write = await rejectsWith(storage.write("taken", [patternBytes(1)]), "storage-failed");
    assert.ok(
      write.message.includes(`write taken failed at ${join(directory, "taken")}`),
      write.message,
    );
    assert.ok(write.cause instanceof Error);
    assert.deepEqual(await allFiles(directory), ["taken/inner"]);
    const read = await rejectsWith(storage.read("nothing"), "storage-failed");
    assert.equal(
      read.message,
      `local checkpoint storage: read nothing failed at ${join(directory, "nothing")}: no such object`,
    );
    const size = await rejectsWith(storage.size("taken"), "storage-failed");
    assert.match(size.message, /size taken failed at .*: no such object/);
    await storage.close();
  });

  it("fails to open where the directory cannot be created, naming it", async () => {
    const file = join(await tempDir(), "a-file");
    await writeFile(file, "not a directory");
    const error = await rejectsWith(
      createLocalCheckpointStorage({ directory: join(file, "checkpoints") }),
      "storage-failed",
    );
    assert.ok(error.message.includes(`open directory failed at ${join(file, "checkpoints")}`));
  });

  it("rejects invalid options with invalid-config", async () => {
    for (const options of [
      { directory: "" },
      { directory: 42 },
      { directory: "d", fsync: "yes" },
    ]) {
      const error = await rejectsWith(
        createLocalCheckpointStorage(options as never),
        "invalid-config",
      );
      assert.ok(error instanceof StatefunError);
      assert.match(error.message, /^local checkpoint storage option (directory|fsync): expected/);
    }
  });
});
