/**
 * The files of a coordinator's checkpoints that are still needed, and the deletion of the others
 * (the coordinator's invariant 5): the newest retained complete checkpoints with every file their
 * chains name, the current chain, and files a savepoint in progress reads. Files of checkpoints
 * dropped from retention, and files taken out of the chain (by compaction, or by a full
 * checkpoint that started a new one), are deleted once none of these needs them.
 */
import type { Logger } from "../observability/logger.js";
import { errorFields } from "../observability/logger.js";
import type { ChainFile, RetainedCheckpoint } from "./coordinator.js";
import { CHECKPOINT_PREFIX, isCompactionOutput } from "./names.js";
import type { CheckpointStorage } from "./storage.js";

/** The retained checkpoints of a coordinator, and what their files need. */
export class CheckpointRetention {
  private retained: RetainedCheckpoint[] = [];
  /** Files taken out of the chain, deleted once no retained checkpoint needs them. */
  private readonly replaced = new Set<string>();
  /** Files being read (by a savepoint) that must not be deleted meanwhile. */
  private readonly pinned = new Map<string, number>();
  private readonly keep: number;
  private readonly storage: CheckpointStorage;
  private readonly logger: Logger;

  /** Keeps the newest `keep` complete checkpoints of `storage`. */
  constructor(keep: number, storage: CheckpointStorage, logger: Logger) {
    this.keep = keep;
    this.storage = storage;
    this.logger = logger;
  }

  /** The complete checkpoints found in storage at a recovery, oldest first. */
  resume(retained: readonly RetainedCheckpoint[]): void {
    this.retained = [...retained];
  }

  /** The latest complete checkpoint, if any. */
  get latest(): RetainedCheckpoint | undefined {
    return this.retained.at(-1);
  }

  /** A checkpoint completed. */
  add(checkpoint: RetainedCheckpoint): void {
    this.retained.push(checkpoint);
  }

  /** A file left the chain: it goes once no retained checkpoint needs it. */
  replace(name: string): void {
    this.replaced.add(name);
  }

  /** Runs `read`, keeping `files` from being deleted meanwhile. */
  async pinning<T>(files: readonly string[], read: () => Promise<T>): Promise<T> {
    for (const name of files) this.pinned.set(name, (this.pinned.get(name) ?? 0) + 1);
    try {
      return await read();
    } finally {
      for (const name of files) {
        const count = (this.pinned.get(name) ?? 1) - 1;
        if (count === 0) this.pinned.delete(name);
        else this.pinned.set(name, count);
      }
    }
  }

  /**
   * Deletes merged files and bases that no checkpoint refers to: written by a compaction that a
   * crash ended before a checkpoint built on them. Checkpoint files themselves are left alone.
   */
  async deleteOrphans(chain: readonly ChainFile[]): Promise<void> {
    const needed = this.needed(chain);
    try {
      for (const name of await this.storage.list(CHECKPOINT_PREFIX)) {
        if (needed.has(name) || !isCompactionOutput(name)) continue;
        await this.storage.delete(name);
        this.logger.debug({ file: name }, "deleted a checkpoint file no checkpoint refers to");
      }
    } catch (error) {
      this.logger.warn(
        { ...errorFields(error) },
        "could not clean up unreferenced checkpoint files",
      );
    }
  }

  /**
   * Drops the checkpoints beyond the newest `keep`, and deletes files that neither a retained
   * checkpoint, `chain` (the current one) nor a savepoint in progress needs: those of the dropped
   * checkpoints, and those taken out of the chain.
   */
  async deleteUnneeded(chain: readonly ChainFile[]): Promise<void> {
    const dropped = this.retained.slice(0, Math.max(0, this.retained.length - this.keep));
    this.retained = this.retained.slice(dropped.length);
    const candidates = new Set<string>(this.replaced);
    for (const gone of dropped) {
      candidates.add(gone.name);
      for (const name of gone.chain) candidates.add(name);
    }
    if (candidates.size === 0) return;
    const needed = this.needed(chain);
    for (const name of candidates) {
      if (needed.has(name)) continue;
      this.replaced.delete(name);
      await this.storage.delete(name).catch((error: unknown) => {
        this.logger.warn(
          { file: name, ...errorFields(error) },
          "could not delete an old checkpoint file",
        );
      });
    }
  }

  /** Files `chain`, a retained checkpoint (with its chain) or a savepoint being taken needs. */
  private needed(chain: readonly ChainFile[]): Set<string> {
    const needed = new Set<string>([...chain.map((file) => file.name), ...this.pinned.keys()]);
    for (const kept of this.retained) {
      needed.add(kept.name);
      for (const name of kept.chain) needed.add(name);
    }
    return needed;
  }
}
