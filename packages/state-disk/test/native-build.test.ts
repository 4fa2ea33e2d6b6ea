/**
 * The LMDB native module this process runs is the one built from lmdb-js's source with the fixes
 * in the repository's `patches/` (`scripts/build-lmdb.sh`, run after every install), not
 * lmdb-js's prebuilt binary. In lmdb-js 3.5.6, a page write that fails (a full disk, a file size
 * limit) formats up to about 130 characters into a 100-byte buffer; the overflow corrupts the
 * native heap, and the process aborts ("corrupted size vs. prev_size") instead of reporting the
 * failed commit. If the install skipped the build, this test says so before a full disk does.
 */
import assert from "node:assert/strict";
import { readFile, realpath, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { open } from "lmdb";

/** The directory of the lmdb package that `import "lmdb"` resolves to. */
async function lmdbDirectory(): Promise<string> {
  let directory = dirname(createRequire(import.meta.url).resolve("lmdb"));
  for (;;) {
    const manifest = await readFile(join(directory, "package.json"), "utf8").catch(() => "");
    if (manifest !== "" && (JSON.parse(manifest) as { name?: string }).name === "lmdb") {
      return realpath(directory);
    }
    const parent = dirname(directory);
    assert.notEqual(parent, directory, "no lmdb package above its entry point");
    directory = parent;
  }
}

test(
  "runs lmdb-js's native module built from the patched source",
  { skip: process.platform !== "linux" && "reads /proc/self/maps" },
  async () => {
    // Importing lmdb loaded its native module; `open` is referenced so that the import stays.
    assert.equal(typeof open, "function");
    const directory = await lmdbDirectory();
    const built = join(directory, "build", "Release", "lmdb.node");
    const maps = await readFile("/proc/self/maps", "utf8");
    const loaded = new Set(
      maps
        .split("\n")
        .map((line) => line.trim().split(/\s+/u).slice(5).join(" "))
        .filter((path) => path.endsWith(".node") && path.includes("lmdb")),
    );
    assert.deepEqual([...loaded], [built], "the native module loaded from the source build");

    const sourceFile = join(directory, "dependencies/lmdb/libraries/liblmdb/mdb.c");
    const source = await readFile(sourceFile, "utf8");
    assert.match(source, /snprintf\(last_error, 100, "Attempting to write page/u);
    assert.doesNotMatch(source, /[^n]sprintf\(last_error, "Attempting to write page/u);
    const [binary, patched] = await Promise.all([stat(built), stat(sourceFile)]);
    assert.ok(binary.mtimeMs >= patched.mtimeMs, "built after the patch was applied");
  },
);
