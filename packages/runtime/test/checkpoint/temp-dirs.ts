/**
 * Helpers of the local checkpoint storage tests: temporary directories on the real file system
 * and a recursive listing of every file in one (temporary files included).
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { tempDirs } from "../temp-dirs.js";

/** A fresh, empty temporary directory, removed after the calling file's tests. */
export const tempDir: () => Promise<string> = tempDirs("statefun-checkpoint-test-");

/** Every file under `dir`, as sorted `/`-separated relative paths (hidden files included). */
export async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}
