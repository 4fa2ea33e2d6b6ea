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
}

/** {@link LocalCheckpointStorageOptions} with every field set; `directory` is absolute. */
export interface ResolvedLocalCheckpointStorageOptions {
  readonly directory: string;
  readonly fsync: boolean;
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
  return { directory: resolve(directory), fsync };
}
