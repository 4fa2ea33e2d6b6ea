/**
 * Savepoints: self-contained, portable snapshots taken on demand. A savepoint is the state of a
 * completed checkpoint merged into one full file, with that checkpoint's pending messages,
 * delayed messages and global content — readable without the state directory it came from, by a
 * runtime with another state directory, machine or number of key groups.
 */
import type { CheckpointCoordinator } from "./coordinator.js";
import { writeMerged } from "./compaction.js";
import { openCheckpoint } from "./format/index.js";
import type { CheckpointStorage } from "./storage.js";

/** Where a savepoint was written. */
export interface SavepointResult {
  /** The checkpoint the savepoint was made from. */
  readonly checkpointId: number;
  /** Storage location and file name. */
  readonly location: string;
  readonly name: string;
  readonly bytes: number;
}

/**
 * Takes a checkpoint now, then writes it as a savepoint to `target`.
 *
 * @param checkpoints - the storage holding the coordinator's checkpoint files.
 */
export async function takeSavepoint(
  coordinator: CheckpointCoordinator,
  checkpoints: CheckpointStorage,
  target: CheckpointStorage,
  name: string,
  maxKeyGroups: number,
): Promise<SavepointResult> {
  await coordinator.checkpointNow();
  return coordinator.withLatestFiles(async (checkpointId, files) => {
    const latest = await openCheckpoint(checkpoints, files.at(-1) as string);
    const bytes = await writeMerged(
      checkpoints,
      files,
      target,
      name,
      (newest) => ({
        ...newest,
        kind: "savepoint",
        maxKeyGroups,
        full: true,
        chain: [],
        info: { ...newest.info, checkpointId, takenAtMs: Date.now() },
      }),
      latest,
    );
    return { checkpointId, location: target.location, name, bytes };
  });
}
