/**
 * Savepoints: self-contained, portable snapshots taken on demand. A savepoint is the state of a
 * completed checkpoint merged into one full file, with that checkpoint's pending messages,
 * delayed messages and global content — readable without the state directory it came from, by a
 * runtime with another state directory, machine or number of key groups.
 */
import type { CheckpointCoordinator, ResumePoint } from "./coordinator.js";
import { writeMerged } from "./compaction.js";
import { encodeCheckpoint, openCheckpoint } from "./format/index.js";
import { checkpointName } from "./names.js";
import { restoreFile } from "./recovery.js";
import type { RecoveryTargets, RestoreSummary } from "./recovery.js";
import type { CheckpointStorage } from "./storage.js";
import { keyGroupOf } from "../core/key-group.js";
import type { StateBackend } from "../state/backend.js";
import type {
  CheckpointManifest,
  DelayedMessageRecord,
  GlobalContent,
  KeyGroupContent,
  PendingMessageRecord,
} from "./model.js";

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
 * Restores a savepoint into `targets` and returns where the coordinator continues. The base of
 * the new chain in `checkpoints` is the savepoint's content under a checkpoint's manifest, so
 * that later checkpoints build on it and the restored state is neither tracked as changed nor
 * written again:
 * - with the runtime's number of key groups, a copy of the savepoint (sections as they are),
 *   written while the state is restored;
 * - with another, the restored state read back from the backend key group by key group (the
 *   addresses are re-keyed as they are restored), with the pending messages re-keyed, written
 *   before anything runs.
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
  const baseName = checkpointName(id);
  const manifest: CheckpointManifest = {
    ...file.manifest,
    kind: "checkpoint",
    full: true,
    chain: [],
    info: { ...file.manifest.info, savepoint: name },
  };
  const adopt = file.manifest.maxKeyGroups === maxKeyGroups;
  const copying = adopt ? checkpoints.write(baseName, file.withManifest(manifest)) : undefined;
  // Awaited below; until then its failure is not an unhandled rejection.
  copying?.catch(() => undefined);
  const rekeyed: CheckpointManifest = {
    ...manifest,
    maxKeyGroups,
    info: { ...manifest.info, savepointKeyGroups: file.manifest.maxKeyGroups },
  };
  let summary: RestoreSummary;
  try {
    const writeRekeyed = (pending: readonly KeyGroupContent[], global: GlobalContent) =>
      checkpoints.write(
        baseName,
        encodeCheckpoint(rekeyed, rekeyedContent(targets.backend, rekeyed, pending), global),
      );
    const restored = await restoreFile(storage, file, name, targets, maxKeyGroups, {
      ...(adopt ? {} : { beforeApplying: writeRekeyed }),
    });
    summary = restored.summary;
    await copying;
  } catch (error) {
    await copying?.catch(() => undefined);
    await checkpoints.delete(baseName).catch(() => undefined);
    throw error;
  }
  const base = await openCheckpoint(checkpoints, baseName);
  const quiet =
    summary.pendingMessages === 0 &&
    summary.delayedMessages === 0 &&
    summary.unreleasedEgress === 0;
  return {
    resume: {
      lastId: id,
      chain: [
        {
          name: baseName,
          bytes: base.sizeBytes,
          stateBytes: base.stateBytes,
          stateRecords: base.stateRecords,
          full: true,
        },
      ],
      retained: [{ id, name: baseName, chain: [] }],
      quiet,
    },
    summary,
  };
}

/**
 * The content of each key group of `manifest.maxKeyGroups`, in order: the backend's state of
 * that key group (values expired at the manifest's cut left out), and the `pending` messages and
 * delayed messages that belong to it. Memory holds one key group's records.
 */
function* rekeyedContent(
  backend: StateBackend,
  manifest: CheckpointManifest,
  pending: readonly KeyGroupContent[],
): Generator<KeyGroupContent> {
  const { maxKeyGroups, createdAtMs: nowMs } = manifest;
  const messages = new Map<number, PendingMessageRecord[]>();
  const delayed = new Map<number, DelayedMessageRecord[]>();
  const add = <T>(into: Map<number, T[]>, keyGroup: number, item: T): void => {
    const list = into.get(keyGroup);
    if (list === undefined) into.set(keyGroup, [item]);
    else list.push(item);
  };
  // A target's messages are contiguous and in order in its old key group; they stay so.
  for (const content of pending) {
    for (const message of content.messages) {
      add(messages, keyGroupOf(message.target.id, maxKeyGroups), message);
    }
    for (const message of content.delayed) {
      add(delayed, keyGroupOf(message.sender.id, maxKeyGroups), message);
    }
  }
  for (let keyGroup = 0; keyGroup < maxKeyGroups; keyGroup++) {
    yield {
      keyGroup,
      state: backend.keyGroupRecords(keyGroup, nowMs),
      messages: messages.get(keyGroup) ?? [],
      delayed: (delayed.get(keyGroup) ?? []).sort((a, b) => a.dueMs - b.dueMs),
    };
  }
}
