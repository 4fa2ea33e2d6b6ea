/**
 * Savepoints as local files anywhere a user points: written through a fresh staging directory
 * next to the target and renamed into place, and read through a read-only storage of that one
 * file.
 *
 * Why not a local checkpoint storage rooted at the file's directory: opening one sweeps its whole
 * tree for a crashed writer's temporary files, which is right for a state directory but not for
 * `/`, a home directory or a directory shared with another application.
 *
 * Invariants:
 *  1. A savepoint file appears under its final name only complete and durable: the local storage
 *     writes it (fsynced) in the staging directory, then one rename moves it into the target
 *     directory, which is then fsynced. The staging directory is removed afterwards, also on
 *     failure; a crash can leave one behind (a hidden `.statefun-savepoint-*` directory).
 *  2. An existing file is never replaced: the target is checked before the savepoint is taken
 *     and again just before the rename.
 *  3. Reading a savepoint never writes or deletes anything.
 */
import { mkdir, mkdtemp, open, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { StatefunError } from "@statefun-ts/protocol";
import { readAt, syncDirectory } from "../checkpoint/local-files.js";
import { createLocalCheckpointStorage } from "../checkpoint/local-storage.js";
import { checkByteRange, rangeBeyondEnd } from "../checkpoint/object-name.js";
import type { SavepointResult } from "../checkpoint/savepoint.js";
import type { CheckpointStorage } from "../checkpoint/storage.js";

/** The prefix of staging directories. */
export const STAGING_PREFIX = ".statefun-savepoint-";

/** True when something exists at `path`. */
async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function alreadyExists(path: string): StatefunError {
  return new StatefunError("illegal-state", `the savepoint file ${path} already exists`, {
    details: { path, reason: "already-exists" },
  });
}

/**
 * Takes a savepoint with `take` into `directory` (created when missing) under the name that
 * `nameFor` gives once the savepoint's result is known.
 *
 * @param existingName a name that must not exist before the savepoint is taken, when known.
 * @returns the savepoint's result with its final name and `path`.
 * @throws StatefunError `illegal-state` (details `reason: "already-exists"`) when the file
 *   exists (invariant 2); `storage-failed` when the file cannot be written or moved; whatever
 *   `take` throws.
 */
export async function writeLocalSavepoint(
  directory: string,
  take: (storage: CheckpointStorage, name: string) => Promise<SavepointResult>,
  nameFor: (result: SavepointResult) => string,
  existingName?: string,
): Promise<SavepointResult & { readonly path: string }> {
  if (existingName !== undefined && (await exists(join(directory, existingName)))) {
    throw alreadyExists(join(directory, existingName));
  }
  const fail = (what: string, cause: unknown) =>
    new StatefunError(
      "storage-failed",
      `savepoint in ${directory}: ${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause, details: { directory } },
    );
  let staging: string;
  try {
    await mkdir(directory, { recursive: true });
    staging = await mkdtemp(join(directory, STAGING_PREFIX));
  } catch (error) {
    throw fail("cannot create the directory", error);
  }
  try {
    const storage = await createLocalCheckpointStorage({ directory: staging });
    let result: SavepointResult;
    try {
      result = await take(storage, "savepoint.sfc");
    } finally {
      await storage.close();
    }
    const name = nameFor(result);
    const path = join(directory, name);
    if (await exists(path)) throw alreadyExists(path);
    try {
      await rename(join(staging, "savepoint.sfc"), path);
      await syncDirectory(directory);
    } catch (error) {
      throw fail(`cannot move the savepoint to ${path}`, error);
    }
    return { ...result, location: directory, name, path };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * A read-only storage holding one local file, `path`, under the object name `name` (its base
 * name). Writes and deletes are refused (invariant 3).
 */
export function createSavepointFileReader(directory: string, name: string): CheckpointStorage {
  const path = join(directory, name);
  const failure = (operation: string, cause: unknown) =>
    new StatefunError(
      "storage-failed",
      `savepoint file ${path}: ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause, details: { operation, path } },
    );
  const only = (operation: string, requested: string): void => {
    if (requested !== name) throw failure(operation, new Error(`no such object ${requested}`));
  };
  const refuse = (operation: string) =>
    Promise.reject(
      new StatefunError(
        "illegal-state",
        `savepoint file ${path} is read-only: cannot ${operation}`,
      ),
    );
  return {
    location: directory,
    async read(requested, range) {
      only("read", requested);
      try {
        if (range === undefined) {
          const bytes = await readFile(path);
          return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        }
        checkByteRange(range, requested, directory);
        const handle = await open(path, "r");
        try {
          const { size } = await handle.stat();
          if (range.offset + range.length > size) {
            throw rangeBeyondEnd(range, size, requested, directory);
          }
          return await readAt(handle, range.offset, range.length);
        } finally {
          await handle.close();
        }
      } catch (error) {
        if (error instanceof StatefunError) throw error;
        throw failure("read", error);
      }
    },
    async size(requested) {
      only("size", requested);
      try {
        return (await stat(path)).size;
      } catch (error) {
        throw failure("size", error);
      }
    },
    async list(prefix) {
      return name.startsWith(prefix) && (await exists(path)) ? [name] : [];
    },
    write: () => refuse("write"),
    delete: () => refuse("delete"),
    close: () => Promise.resolve(),
  };
}
