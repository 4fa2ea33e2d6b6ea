/**
 * Savepoints: self-contained, portable snapshots taken on demand. A savepoint is the state of a
 * completed checkpoint merged into one full file, with that checkpoint's pending messages,
 * delayed messages and global content — readable without the state directory it came from, by a
 * runtime with another state directory, machine or number of key groups.
 */
import type { CheckpointCoordinator, ResumePoint } from "./coordinator.js";
import { writeMerged } from "./compaction.js";
import { openCheckpoint } from "./format/index.js";
import { checkpointName } from "./names.js";
import { restoreFile } from "./recovery.js";
import type { RecoveryTargets, RestoreSummary } from "./recovery.js";
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

/**
 * Restores a savepoint into `targets` and returns where the coordinator continues. When the
 * savepoint has the runtime's number of key groups, a copy of it (sections as they are, with a
 * checkpoint's manifest) becomes the base of the new chain in `checkpoints`, written while the
 * state is restored: later checkpoints build on it, so the restored state is neither tracked as
 * changed nor written again. Otherwise every address is re-keyed as it is restored and counted
 * as changed, and the first checkpoint writes the whole state.
 *
 * @throws StatefunError `corrupt-data` when the savepoint cannot be read (nothing is left in
 *   `checkpoints`); `storage-failed` when a storage fails.
 */
export async function restoreSavepoint(
  storage: CheckpointStorage,
  name: string,
  checkpoints: CheckpointStorage,
  targets: RecoveryTargets,
  maxKeyGroups: number,
): Promise<{ resume: ResumePoint; summary: RestoreSummary }> {
  const file = await openCheckpoint(storage, name);
  const id = file.manifest.id;
  const adopt = file.manifest.maxKeyGroups === maxKeyGroups;
  const baseName = checkpointName(id);
  const copying = adopt
    ? checkpoints.write(
        baseName,
        file.withManifest({
          ...file.manifest,
          kind: "checkpoint",
          full: true,
          chain: [],
          info: { ...file.manifest.info, savepoint: name },
        }),
      )
    : undefined;
  // Awaited below; until then its failure is not an unhandled rejection.
  copying?.catch(() => undefined);
  let summary: RestoreSummary;
  try {
    summary = (await restoreFile(storage, file, name, targets, maxKeyGroups, !adopt)).summary;
    await copying;
  } catch (error) {
    if (copying !== undefined) {
      await copying.catch(() => undefined);
      await checkpoints.delete(baseName).catch(() => undefined);
    }
    throw error;
  }
  const quiet =
    summary.pendingMessages === 0 &&
    summary.delayedMessages === 0 &&
    summary.unreleasedEgress === 0;
  if (!adopt) return { resume: { lastId: id, chain: [], retained: [], quiet: false }, summary };
  const base = await openCheckpoint(checkpoints, baseName);
  return {
    resume: {
      lastId: id,
      chain: [{ name: baseName, bytes: base.sizeBytes, stateBytes: base.stateBytes, full: true }],
      retained: [{ id, name: baseName, chain: [] }],
      quiet,
    },
    summary,
  };
}
