/**
 * Checkpoint storage in a local directory. An object `a/b` is the file `<directory>/a/b`.
 *
 * Invariants (tests cite them):
 * 1. A write streams its chunks into a temporary file in the object's directory (a name starting
 *    with `.`, which `list` never returns), fsyncs it, renames it to the object's name and fsyncs
 *    the directory: the object appears only complete, and is durable once `write` resolves.
 *    Replacing an object is one rename, so readers see the old or the new bytes, never a mix.
 * 2. A directory created for a name is made durable (its parent fsynced) before any object in it
 *    is reported written.
 * 3. A failed write (a chunk iterator that throws, an I/O error) leaves no temporary file and no
 *    visible change. Temporary files of a crashed process are removed when the storage is opened;
 *    so one storage at a time may be open on a directory.
 * 4. Reads of ranges read only the range (`FileHandle.read` at an offset).
 * 5. A delete is not fsynced: after a machine crash a deleted object may be back. Checkpoint files
 *    are deleted only once nothing needs them, so one that comes back is harmless (and deleted
 *    again), while an fsync per delete would compete with the fsyncs of checkpoints being written.
 * 6. With `smallObjectLog`, a write whose chunks end within {@link LOG_MAX_OBJECT_BYTES} goes to
 *    the object log (`object-log.ts`) instead, and then removes a file of that name; a larger one
 *    is written as a file, then removed from the log (durably) if the log held that name. Should
 *    both hold a name after a crash, the log's object is the current one: reads and sizes come
 *    from it, listings name it once, a delete removes both. The log is read (and its segments
 *    cleaned) whatever the option says.
 */
import { mkdir, open, readFile, rename, rmdir, stat, unlink } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { StatefunError } from "@statefun-ts/protocol";
import { createChunkSource } from "./chunk-source.js";
import type { ChunkSource } from "./chunk-source.js";
import {
  errorCode,
  removeTempFiles,
  syncDirectory,
  tempFileName,
  readAt,
  walkObjects,
  writeAll,
} from "./local-files.js";
import { resolveLocalCheckpointStorageOptions } from "./local-storage-options.js";
import type { LocalCheckpointStorageOptions } from "./local-storage-options.js";
import {
  checkByteRange,
  checkObjectName,
  checkObjectPrefix,
  compareObjectNames,
  rangeBeyondEnd,
} from "./object-name.js";
import type { ByteRange } from "./object-name.js";
import { LOG_DIRECTORY, ObjectLog } from "./object-log.js";
import { createOperationGuard } from "./operation-guard.js";
import type { CheckpointStorage } from "./storage.js";

/** A {@link CheckpointStorage} in a local directory. */
export interface LocalCheckpointStorage extends CheckpointStorage {
  /** The absolute path of the directory. */
  readonly directory: string;
  /** How many temporary files of crashed writers were removed when the storage was opened. */
  readonly staleTempFilesRemoved: number;
}

/** How often a write retries creating its directory when a concurrent delete removed it. */
const DIRECTORY_ATTEMPTS = 3;

/** A write gathers chunks up to this many bytes, or this many chunks, into one `writev`. */
const WRITE_BATCH_BYTES = 64 * 1024;
const WRITE_BATCH_CHUNKS = 512;

/** The largest object written to the object log (invariant 6). */
export const LOG_MAX_OBJECT_BYTES = 1024 * 1024;

/** A log segment takes no more appends once this large. */
const LOG_SEGMENT_BYTES = 16 * 1024 * 1024;

/** Plain `Uint8Array` view of a Buffer (same memory), so results compare equal everywhere. */
function plain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Opens (creating when missing) a checkpoint storage in a local directory and removes the
 * temporary files that a crashed writer left in it.
 *
 * @throws StatefunError `invalid-config` for invalid options, `storage-failed` when the directory
 *   cannot be created or read.
 */
export async function createLocalCheckpointStorage(
  options: LocalCheckpointStorageOptions,
): Promise<LocalCheckpointStorage> {
  const { directory: root, fsync, smallObjectLog } = resolveLocalCheckpointStorageOptions(options);
  /** Directories (relative, `/`-separated) made durable, or being made so (invariant 2). */
  const durableDirs = new Map<string, Promise<void>>();

  const failure = (operation: string, name: string, path: string, cause: unknown) => {
    const code = errorCode(cause);
    const missing = code === "ENOENT" || code === "EISDIR";
    const reason =
      missing && (operation === "read" || operation === "size")
        ? "no such object"
        : cause instanceof Error
          ? cause.message
          : String(cause);
    return new StatefunError(
      "storage-failed",
      `local checkpoint storage: ${operation} ${name} failed at ${path}: ${reason}`,
      { cause, details: { operation, name, path } },
    );
  };

  const { run, close } = createOperationGuard(`local checkpoint storage ${root}`);

  const pathOf = (name: string) => join(root, ...name.split("/"));

  /** Creates `root/relDir` and makes it and its new parents durable (invariant 2). */
  const ensureDirectory = (relDir: string): Promise<void> => {
    const known = durableDirs.get(relDir);
    if (known !== undefined) return known;
    const absolute = join(root, relDir);
    const making = (async () => {
      const first = await mkdir(absolute, { recursive: true });
      if (!fsync || first === undefined) return;
      for (let dir = absolute; dir !== dirname(dir); dir = dirname(dir)) {
        await syncDirectory(dirname(dir));
        if (dir === first) break;
      }
    })();
    durableDirs.set(relDir, making);
    making.catch(() => {
      if (durableDirs.get(relDir) === making) durableDirs.delete(relDir);
    });
    return making;
  };

  const openTemp = async (name: string): Promise<{ handle: FileHandle; temp: string }> => {
    const slash = name.lastIndexOf("/");
    const relDir = slash < 0 ? "" : name.slice(0, slash);
    for (let attempt = 1; ; attempt++) {
      await ensureDirectory(relDir);
      const temp = join(root, relDir, tempFileName(name.slice(slash + 1)));
      try {
        return { handle: await open(temp, "wx"), temp };
      } catch (error) {
        // A concurrent delete removed the (empty) directory: create it again.
        if (errorCode(error) !== "ENOENT" || attempt === DIRECTORY_ATTEMPTS) throw error;
        durableDirs.delete(relDir);
      }
    }
  };

  /**
   * Reads the first chunks of a write while they fit the object log. Returns them, their size,
   * and whether the source ended (then the whole object is in them).
   */
  const gather = async (
    source: ChunkSource,
  ): Promise<{ chunks: Uint8Array[]; bytes: number; ended: boolean }> => {
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    for (;;) {
      const chunk = await source.next();
      if (chunk === undefined) return { chunks, bytes, ended: true };
      if (chunk.byteLength === 0) continue;
      chunks.push(chunk);
      bytes += chunk.byteLength;
      if (bytes > LOG_MAX_OBJECT_BYTES) return { chunks, bytes, ended: false };
    }
  };

  const write = async (
    name: string,
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<void> => {
    const source = createChunkSource(chunks, `local checkpoint storage: write ${name}`);
    let first: Uint8Array[] = [];
    if (smallObjectLog) {
      let gathered: Awaited<ReturnType<typeof gather>>;
      try {
        gathered = await gather(source);
      } catch (error) {
        await source.stop();
        if (source.failure !== undefined) throw source.failure.error;
        throw failure("write", name, pathOf(name), error);
      }
      if (gathered.ended) {
        try {
          await log.append(name, gathered.chunks, gathered.bytes);
        } catch (error) {
          throw failure("write", name, join(root, LOG_DIRECTORY), error);
        }
        // The logged object is the current one; a file beneath it is of no use any more.
        if (files.has(name)) await removeFile(name, pathOf(name)).catch(() => {});
        return;
      }
      first = gathered.chunks;
    }
    await writeFile(name, pathOf(name), first, source);
    if (log.has(name)) {
      try {
        await log.remove(name, true);
      } catch (error) {
        throw failure("write", name, join(root, LOG_DIRECTORY), error);
      }
    }
  };

  /** Writes an object as a file: `first`, then the rest of `source` (invariant 1). */
  const writeFile = async (
    name: string,
    path: string,
    first: readonly Uint8Array[],
    source: ChunkSource,
  ): Promise<void> => {
    let temp: string | undefined;
    let handle: FileHandle | undefined;
    try {
      ({ handle, temp } = await openTemp(name));
      // Chunks are gathered into one vectored write per WRITE_BATCH_BYTES: a checkpoint is made
      // of many small sections, and a write per chunk would cost a thread pool round trip each.
      const batch: Uint8Array[] = [...first];
      let batchBytes = first.reduce((sum, chunk) => sum + chunk.byteLength, 0);
      for (let chunk = await source.next(); ; chunk = await source.next()) {
        if (chunk !== undefined && chunk.byteLength > 0) {
          batch.push(chunk);
          batchBytes += chunk.byteLength;
        }
        const full = batchBytes >= WRITE_BATCH_BYTES || batch.length >= WRITE_BATCH_CHUNKS;
        if ((full || chunk === undefined) && batch.length > 0) {
          await writeAll(handle, batch);
          batch.length = 0;
          batchBytes = 0;
        }
        if (chunk === undefined) break;
      }
      if (fsync) await handle.sync();
      await handle.close();
      handle = undefined;
      await rename(temp, path);
      temp = undefined;
      files.add(name);
      if (fsync) await syncDirectory(dirname(path));
    } catch (error) {
      await source.stop();
      await handle?.close().catch(() => {});
      if (temp !== undefined) await unlink(temp).catch(() => {});
      if (source.failure !== undefined) throw source.failure.error;
      throw failure("write", name, path, error);
    }
  };

  const read = async (name: string, range?: ByteRange): Promise<Uint8Array> => {
    const path = pathOf(name);
    const logged = log.size(name);
    if (logged !== undefined) {
      if (range !== undefined && range.offset + range.length > logged) {
        throw rangeBeyondEnd(range, logged, name, root);
      }
      try {
        const bytes = await log.read(name, range);
        if (bytes !== undefined) return bytes;
      } catch (error) {
        throw failure("read", name, join(root, LOG_DIRECTORY), error);
      }
      // Deleted meanwhile: as a file would be, unless a file of that name is beneath.
    }
    try {
      if (range === undefined) return plain(await readFile(path));
      const handle = await open(path, "r");
      try {
        const { size } = await handle.stat();
        if (range.offset + range.length > size) throw rangeBeyondEnd(range, size, name, root);
        return await readAt(handle, range.offset, range.length);
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (error instanceof StatefunError) throw error;
      throw failure("read", name, path, error);
    }
  };

  const size = async (name: string): Promise<number> => {
    const path = pathOf(name);
    const logged = log.size(name);
    if (logged !== undefined) return logged;
    try {
      const info = await stat(path);
      if (!info.isFile()) throw Object.assign(new Error("not a file"), { code: "EISDIR" });
      return info.size;
    } catch (error) {
      throw failure("size", name, path, error);
    }
  };

  const list = async (prefix: string): Promise<string[]> => {
    const slash = prefix.lastIndexOf("/");
    const names: string[] = [];
    try {
      await walkObjects(root, slash < 0 ? "" : prefix.slice(0, slash), prefix, names);
    } catch (error) {
      throw failure("list", JSON.stringify(prefix), root, error);
    }
    const all = new Set(names);
    for (const name of log.names(prefix)) all.add(name);
    return [...all].sort(compareObjectNames);
  };

  /** Removes the empty directories of a deleted object, up to (not including) the root. */
  const prune = async (path: string): Promise<void> => {
    for (let dir = dirname(path); dir !== root; dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone): the directories above are not empty either
      }
      durableDirs.delete(relative(root, dir).split(sep).join("/"));
    }
  };

  const remove = async (name: string): Promise<void> => {
    const path = pathOf(name);
    if (log.has(name)) {
      // Not awaited for durability (invariant 5); a failed tombstone write leaves the object for
      // the next open, like a failed unlink after a crash.
      void log.remove(name, false).catch(() => {});
      // Only a file known to be beneath the logged object needs unlinking.
      if (!files.has(name)) return;
    }
    await removeFile(name, path);
  };

  const removeFile = async (name: string, path: string): Promise<void> => {
    files.delete(name);
    try {
      await unlink(path);
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR") return;
      throw failure("delete", name, path, error);
    }
    await prune(path);
  };

  let staleTempFilesRemoved: number;
  let log: ObjectLog;
  /**
   * Names of objects stored as files (as far as this storage knows: those there when it was
   * opened, and those it wrote since), to tell whether a logged object hides a file.
   */
  const files = new Set<string>();
  try {
    await ensureDirectory("");
    staleTempFilesRemoved = await removeTempFiles(root);
    log = await ObjectLog.open(root, { fsync, segmentBytes: LOG_SEGMENT_BYTES });
    const names: string[] = [];
    await walkObjects(root, "", "", names);
    for (const name of names) files.add(name);
  } catch (error) {
    throw failure("open", "directory", root, error);
  }

  return {
    location: root,
    directory: root,
    staleTempFilesRemoved,
    write: (name, chunks) => run("write", name, () => write(checkObjectName(name, root), chunks)),
    read: (name, range) =>
      run("read", name, () =>
        read(
          checkObjectName(name, root),
          range === undefined ? undefined : checkByteRange(range, name, root),
        ),
      ),
    size: (name) => run("size", name, () => size(checkObjectName(name, root))),
    list: (prefix) => run("list", prefix, () => list(checkObjectPrefix(prefix, root))),
    delete: (name) => run("delete", name, () => remove(checkObjectName(name, root))),
    close: async () => {
      if (await close()) await log.close();
    },
  };
}
