/**
 * The disk store's write-behind: changed cache entries, and changes of the expiry index, written
 * to LMDB in batches, each one transaction committed asynchronously (in order), retried after a
 * failure. Also the tracking of a bulk restore's transactions, which are not retried: a failed
 * restore fails the start.
 *
 * Invariants (disk-store.ts cites them as its 2 and 7):
 *  1. Batches commit in the order they were started, so a later write of an address always
 *     overwrites an earlier one in the database.
 *  2. A batch that fails changes nothing in the database (an LMDB transaction), and its entries
 *     and index changes are handed to a later batch, which writes the entries' newest state.
 *     Batches are retried with backoff; after {@link FAILED_BATCHES_TO_GIVE_UP} failed in a row,
 *     the write-behind reports that it cannot go on (the cache then only grows).
 *  3. Index changes go into the same batches as the state: a write of its own would start a
 *     transaction whose failure nothing could see.
 */
import { StatefunError } from "@statefun-ts/protocol";
import type { Database, RootDatabase } from "lmdb";
import type { Logger } from "@statefun-ts/runtime";
import { errorFields } from "@statefun-ts/runtime";
import type { CacheEntry } from "./cache-ring.js";
import { keyOf } from "./keys.js";

/** Delay before writing again after a failed batch, doubling with each failure in a row. */
const RETRY_INITIAL_MS = 100;
const RETRY_MAX_MS = 2000;
/** Batches failed in a row after which the write-behind reports that it cannot go on. */
export const FAILED_BATCHES_TO_GIVE_UP = 5;

const EMPTY = new Uint8Array(0);
const ignore = (): undefined => undefined;

/** An entry of the expiry index to put or remove. */
interface IndexChange {
  readonly key: Uint8Array;
  readonly put: boolean;
}

/** An error of the database itself (a full disk, an I/O error), naming it. */
export function databaseFailed(directory: string, doing: string, error: unknown): StatefunError {
  return new StatefunError(
    "storage-failed",
    `the disk state database ${directory} failed ${doing}: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error, details: { directory } },
  );
}

/**
 * What made an LMDB commit fail: LMDB rejects each write with a generic error whose `commitError`
 * promise rejects with the cause (also handled here, so that it is not an unhandled rejection).
 */
async function commitCause(error: unknown): Promise<unknown> {
  const commitError = (error as { commitError?: unknown } | null)?.commitError;
  if (!(commitError instanceof Promise)) return error;
  commitError.catch(ignore);
  // Rejected in the same step as the writes; should it not be, the generic error will do.
  const fallback = new Promise<unknown>((resolve) => setImmediate(() => resolve(error)));
  return Promise.race([
    commitError.then(
      () => error,
      (cause: unknown) => cause,
    ),
    fallback,
  ]);
}

/**
 * Runs `write` (puts and removes) as one LMDB transaction, committed asynchronously.
 *
 * @returns a promise that resolves once the transaction committed, and rejects with the cause of
 *   a failed commit.
 */
export function committedBatch(
  root: RootDatabase<Uint8Array, Uint8Array>,
  write: () => void,
): Promise<void> {
  const done = root.batch(write);
  // LMDB may also reject a promise of the transaction that no call returned, made when its
  // write starts, on the next turn of the event loop; `done` reports the failure.
  setImmediate(() => void root.committed.then(ignore, ignore));
  return done.then(
    () => undefined,
    async (error: unknown) => {
      throw await commitCause(error);
    },
  );
}

/**
 * The transactions of a bulk restore (see `DiskStore.restore`), committed asynchronously while
 * recovery decodes what comes next, until someone waits for them.
 */
export class BulkWrites {
  private done: Promise<unknown> | undefined = undefined;
  private failure: unknown = undefined;
  private readonly directory: string;

  constructor(directory: string) {
    this.directory = directory;
  }

  /** True while a transaction was not waited for. */
  get pending(): boolean {
    return this.done !== undefined;
  }

  /**
   * Throws when a transaction tracked so far has failed: a restore adds none after that (it fails
   * anyway, and each further commit would only fail the same way, one more write of the full
   * disk).
   *
   * @throws StatefunError `storage-failed` naming the failed transaction's cause.
   */
  throwIfFailed(): void {
    if (this.failure !== undefined) {
      throw databaseFailed(this.directory, "restoring state", this.failure);
    }
  }

  /** Tracks a transaction (the promise of {@link committedBatch}). */
  add(transaction: Promise<void>): void {
    this.done = Promise.all([
      this.done,
      transaction.then(undefined, (cause: unknown) => {
        this.failure ??= cause;
      }),
    ]);
  }

  /**
   * Waits for the transactions tracked so far.
   *
   * @throws StatefunError `storage-failed` when one of them failed.
   */
  async settled(): Promise<void> {
    const done = this.done;
    if (done === undefined) return;
    await done;
    if (this.done === done) this.done = undefined;
    const failure = this.failure;
    this.failure = undefined;
    if (failure !== undefined) throw databaseFailed(this.directory, "restoring state", failure);
  }
}

/** Options of a {@link WriteBehind}. */
export interface WriteBehindOptions {
  readonly root: RootDatabase<Uint8Array, Uint8Array>;
  readonly expiry: Database<Uint8Array, Uint8Array>;
  /** The database's directory, for errors. */
  readonly directory: string;
  readonly maxDirtyAddresses: number;
  readonly flushIntervalMs: number;
  readonly logger: Logger;
  /** Encodes the state of an entry to write, as the database stores it (see `StateValuesEncoder`). */
  readonly encode: (entry: CacheEntry) => Uint8Array;
  /** Told after each batch that committed (the store may evict then). */
  readonly committed: () => void;
}

/** Writes changed entries and index changes to LMDB in batches. */
export class WriteBehind {
  /** Batches failed in all. */
  failures = 0;
  private readonly options: WriteBehindOptions;
  /** Entries changed since the last batch (each once: an entry is added as its `dirty` is set). */
  private dirty: CacheEntry[] = [];
  /** Index changes for the next batch, in order (invariant 3). */
  private indexChanges: IndexChange[] = [];
  private timer: NodeJS.Timeout | undefined = undefined;
  /** The timer runs out at once. */
  private flushingSoon = false;
  /** Batches handed to LMDB that have not committed yet. */
  private pendingBatches = 0;
  /** Addresses in those batches. */
  private pendingAddresses = 0;
  /** Batches failed in a row (invariant 2). */
  private failedInARow = 0;
  private failureListener: ((error: StatefunError) => void) | undefined = undefined;
  private failure: StatefunError | undefined = undefined;
  private closed = false;

  constructor(options: WriteBehindOptions) {
    this.options = options;
  }

  /** True when nothing is dirty and no batch is in flight. */
  get idle(): boolean {
    return this.dirty.length === 0 && this.pendingBatches === 0;
  }

  /** Changed addresses not written to the database yet (an address may count twice). */
  get unwrittenAddresses(): number {
    return this.dirty.length + this.pendingAddresses;
  }

  /** True when a change is not in the database (yet, or because its batch failed). */
  get unwritten(): boolean {
    return !this.idle || this.indexChanges.length > 0;
  }

  /**
   * Marks an entry as changing: it is written in a later batch. Called before the change is made,
   * so the batch is never written in the same synchronous step (it would write the old state).
   */
  markDirty(entry: CacheEntry): void {
    if (entry.dirty || entry.memoryOnly) return;
    entry.dirty = true;
    this.dirty.push(entry);
    this.scheduled();
  }

  /** Puts (or removes) an expiry index entry in the next batch. */
  changeIndex(key: Uint8Array, put: boolean): void {
    this.indexChanges.push({ key, put });
    this.scheduled();
  }

  /** Calls `listener` once when writes keep failing (invariant 2), at once if they have. */
  onFailure(listener: (error: StatefunError) => void): void {
    this.failureListener = listener;
    if (this.failure !== undefined) listener(this.failure);
  }

  /** Writes every dirty entry and index change in one batch, committed asynchronously. */
  flush(): Promise<unknown> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if ((this.dirty.length === 0 && this.indexChanges.length === 0) || this.closed) {
      return this.settled();
    }
    const batch = this.dirty;
    this.dirty = [];
    const indexChanges = this.indexChanges;
    this.indexChanges = [];
    for (const entry of batch) {
      entry.dirty = false;
      entry.pending++;
    }
    this.pendingBatches++;
    this.pendingAddresses += batch.length;
    const { root, expiry } = this.options;
    const done = committedBatch(root, () => {
      for (const entry of batch) {
        // Expired values stay until the sweep removes them (it reads them from here).
        if (entry.state === undefined) {
          void root.remove(keyOf(entry));
        } else {
          void root.put(keyOf(entry), this.options.encode(entry));
        }
      }
      for (const { key, put } of indexChanges) {
        void (put ? expiry.put(key, EMPTY) : expiry.remove(key));
      }
    });
    return done.then(
      () => {
        this.pendingBatches--;
        this.pendingAddresses -= batch.length;
        this.failedInARow = 0;
        for (const entry of batch) entry.pending--;
        this.options.committed();
      },
      (cause: unknown) => this.batchFailed(batch, indexChanges, cause),
    );
  }

  /** Resolves once the writes handed to LMDB have committed or failed (failures are handled). */
  settled(): Promise<unknown> {
    return this.options.root.committed.then(ignore, ignore);
  }

  /** Forgets what is waiting for a batch (the database is being cleared). */
  clear(): void {
    this.dirty = [];
    this.indexChanges = [];
  }

  /** Starts no more batches. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Starts the next batch's timer: soon, at once when many are dirty, later after failures. */
  private scheduled(): void {
    const full = this.failedInARow === 0 && this.dirty.length >= this.options.maxDirtyAddresses;
    if (this.timer !== undefined) {
      // A batch due later starts at once when many are dirty (but not one waiting to retry).
      if (!full || this.flushingSoon) return;
      clearTimeout(this.timer);
    }
    const delayMs =
      this.failedInARow > 0
        ? Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** (this.failedInARow - 1))
        : full
          ? 0
          : this.options.flushIntervalMs;
    this.flushingSoon = delayMs === 0;
    this.timer = setTimeout(() => void this.flush(), delayMs).unref();
  }

  /** A batch failed: its entries and index changes go into a later one (invariant 2). */
  private batchFailed(
    batch: readonly CacheEntry[],
    indexChanges: readonly IndexChange[],
    error: unknown,
  ): void {
    this.pendingBatches--;
    this.pendingAddresses -= batch.length;
    this.failedInARow++;
    this.failures++;
    this.indexChanges = [...indexChanges, ...this.indexChanges];
    for (const entry of batch) {
      entry.pending--;
      if (!entry.dirty) {
        entry.dirty = true;
        this.dirty.push(entry);
      }
    }
    this.options.logger.error(
      { addresses: batch.length, failedInARow: this.failedInARow, ...errorFields(error) },
      "disk state write failed; retrying",
    );
    if (this.failedInARow >= FAILED_BATCHES_TO_GIVE_UP && this.failure === undefined) {
      const { directory } = this.options;
      const failed = databaseFailed(directory, `${this.failedInARow} writes in a row`, error);
      this.failure = new StatefunError(
        "storage-failed",
        `${failed.message}; its state is held in memory meanwhile, and the runtime should be ` +
          "restarted from its last checkpoint",
        { cause: error, details: failed.details },
      );
      this.failureListener?.(this.failure);
    }
    if (!this.closed) this.scheduled();
  }
}
