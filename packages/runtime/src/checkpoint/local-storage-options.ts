/**
 * Options of the local-directory checkpoint storage: what users pass (defaults documented here)
 * and the pure function that validates them into resolved options where every field is set.
 */
import { resolve } from "node:path";
import { StatefunError } from "@statefun-ts/protocol";

/** Options of {@link createLocalCheckpointStorage}. */
export interface LocalCheckpointStorageOptions {
  /** The directory that holds the objects; created (with its parents) when missing. */
  readonly directory: string;
  /**
   * Whether writes and deletes wait for the data and the directory entries to reach the disk
   * (`fsync`), so that a completed write survives a machine crash, not only a process crash.
   * Default: true. Turn off only for tests and throwaway state.
   */
  readonly fsync?: boolean;
  /**
   * Whether objects of up to 1 MiB are appended to a log of segment files (under `.log/` in the
   * directory) instead of being written as files of their own: a write then costs one append
   * and one `fdatasync`, and writes made at the same time share them, which makes the small
   * checkpoints of group commit several times cheaper. Objects in the log are read, listed and
   * deleted like the others, but only through this storage. Default: false, so that every object
   * is a plain file (as savepoints must be, to be copied elsewhere). Objects already in the log
   * are read whatever this option says.
   */
  readonly smallObjectLog?: boolean;
}

/** {@link LocalCheckpointStorageOptions} with every field set; `directory` is absolute. */
export interface ResolvedLocalCheckpointStorageOptions {
  readonly directory: string;
  readonly fsync: boolean;
  readonly smallObjectLog: boolean;
}

function invalid(option: string, expected: string, found: unknown): StatefunError {
  return new StatefunError(
    "invalid-config",
    `local checkpoint storage option ${option}: expected ${expected}, found ${JSON.stringify(found) ?? String(found)}`,
    { details: { option, expected, found: String(found) } },
  );
}

/**
 * Validates local checkpoint storage options and fills in defaults; a relative `directory` is
 * resolved against the current working directory. Never mutates its input.
 *
 * @throws StatefunError `invalid-config` naming the option, what was expected and what was found.
 */
export function resolveLocalCheckpointStorageOptions(
  options: LocalCheckpointStorageOptions,
): ResolvedLocalCheckpointStorageOptions {
  const directory: unknown = options.directory;
  if (typeof directory !== "string" || directory.length === 0 || directory.includes("\0")) {
    throw invalid("directory", "a non-empty directory path", directory);
  }
  const fsync: unknown = options.fsync ?? true;
  if (typeof fsync !== "boolean") throw invalid("fsync", "true or false", fsync);
  const smallObjectLog: unknown = options.smallObjectLog ?? false;
  if (typeof smallObjectLog !== "boolean") {
    throw invalid("smallObjectLog", "true or false", smallObjectLog);
  }
  return { directory: resolve(directory), fsync, smallObjectLog };
}
