/**
 * File-system helpers of the local checkpoint storage: temporary file names, directory fsync,
 * walking the object tree, and removing temporary files that a crashed writer left behind.
 * Everything uses `fs/promises`, so no call blocks the event loop.
 */
import { randomBytes } from "node:crypto";
import { open, readdir, unlink } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";

/** Names of temporary files start with this; {@link walkObjects} never returns them. */
export const TEMP_FILE_PREFIX = ".tmp-";

/** A fresh temporary file name for an object whose last name segment is `base`. */
export function tempFileName(base: string): string {
  return `${TEMP_FILE_PREFIX}${base.slice(0, 64)}-${process.pid}-${randomBytes(6).toString("hex")}`;
}

/** The `code` of a Node.js system error (`ENOENT`, ...), or undefined. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}

/**
 * Writes `buffers` with vectored writes, resuming after short writes: at `position` and on, or at
 * the file's current position when `position` is undefined.
 */
export async function writeAll(
  handle: FileHandle,
  buffers: readonly Uint8Array[],
  position?: number,
): Promise<void> {
  let rest = buffers;
  let at = position;
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest as Uint8Array[], at);
    if (bytesWritten === 0) throw new Error("the file system accepted no bytes");
    if (at !== undefined) at += bytesWritten;
    let skip = 0;
    while (skip < rest.length && bytesWritten >= (rest[skip] as Uint8Array).byteLength) {
      bytesWritten -= (rest[skip] as Uint8Array).byteLength;
      skip++;
    }
    rest = rest.slice(skip);
    if (bytesWritten > 0) rest = [(rest[0] as Uint8Array).subarray(bytesWritten), ...rest.slice(1)];
  }
}

/** Reads `length` bytes at `position`, resuming after short reads; fails at the end of the file. */
export async function readAt(
  handle: FileHandle,
  position: number,
  length: number,
): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  for (let filled = 0; filled < length;) {
    const at = position + filled;
    const { bytesRead } = await handle.read(bytes, filled, length - filled, at);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${at}`);
    filled += bytesRead;
  }
  return bytes;
}

/** Makes the directory's entries (created, renamed, removed files) durable. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Entries of a directory, or none when it does not exist (any more). */
async function entriesOf(path: string) {
  try {
    return await readdir(path, { withFileTypes: true });
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw error;
  }
}

/**
 * Appends to `names` the relative names (`/`-separated) of the files under `root/relDir` that
 * start with `prefix`, skipping entries whose name starts with `.` (temporary files) and
 * directories that cannot hold a matching name. The order is unspecified.
 */
export async function walkObjects(
  root: string,
  relDir: string,
  prefix: string,
  names: string[],
): Promise<void> {
  for (const entry of await entriesOf(join(root, relDir))) {
    if (entry.name.startsWith(".")) continue;
    const rel = relDir === "" ? entry.name : `${relDir}/${entry.name}`;
    if (entry.isFile()) {
      if (rel.startsWith(prefix)) names.push(rel);
    } else if (entry.isDirectory()) {
      const asDir = `${rel}/`;
      if (asDir.startsWith(prefix) || prefix.startsWith(asDir)) {
        await walkObjects(root, rel, prefix, names);
      }
    }
  }
}

/**
 * Removes every temporary file under `dir` (left by a writer that crashed before renaming it)
 * and returns how many were removed.
 */
export async function removeTempFiles(dir: string): Promise<number> {
  let removed = 0;
  for (const entry of await entriesOf(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      removed += await removeTempFiles(path);
    } else if (entry.isFile() && entry.name.startsWith(TEMP_FILE_PREFIX)) {
      try {
        await unlink(path);
        removed += 1;
      } catch (error) {
        if (errorCode(error) !== "ENOENT") throw error;
      }
    }
  }
  return removed;
}
