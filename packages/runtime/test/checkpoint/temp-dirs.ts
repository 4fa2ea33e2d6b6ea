/**
 * Helpers of the local checkpoint storage tests: temporary directories on the real file system
 * and a recursive listing of every file in one (temporary files included).
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const created: string[] = [];

/** A fresh, empty temporary directory, removed by {@link removeTempDirs}. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "statefun-checkpoint-test-"));
  created.push(dir);
  return dir;
}

/** Removes every directory made by {@link tempDir}; call from `after`. */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Every file under `dir`, as sorted `/`-separated relative paths (hidden files included). */
export async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}
