/**
 * The LMDB store behind the disk backend's tables: a bounded cache of decoded address state in
 * front of the database, write-behind in batches (write-behind.ts), and an expiry index in a
 * second database, changed in the same batches.
 *
 * The cache evicts by CLOCK, an approximation of least-recently-used (cache-ring.ts).
 *
 * Invariants:
 *  1. The cache holds the newest state of every address it holds; an entry that is dirty (changed
 *     since its last write) or pending (written but not yet committed) is never evicted, so a
 *     read never sees a value older than the newest write.
 *  2. Batches commit in the order they were started, so a later write of an address always
 *     overwrites an earlier one in the database (write-behind.ts, its invariant 1).
 *  3. The cache holds at most `maxCachedAddresses` entries, plus dirty and pending ones while no
 *     clean entry can be evicted (those are bounded by `maxDirtyAddresses` per batch), so the heap
 *     stays bounded however large the state grows. An evicted entry that the capture in progress
 *     still needs stays, hollow, in its table's `cached` index until that capture is released
 *     (see disk-capture.ts); so does one marked as changed since the last capture that has a
 *     record for the next capture (disk-capture.ts, its invariant 4), or while fewer hollow
 *     entries hold their state than the cache holds entries, until the capture that takes it is
 *     released. A hollow entry holds its state only when a capture has to write it and has no
 *     record of it, and at most as many hollow entries do as the cache holds entries. Records are
 *     at most {@link RECORDS_PER_CACHED_ADDRESS} times as many as the cache holds entries, their
 *     bytes outside the JS heap. Of any other evicted entry marked as changed, the change tracker
 *     keeps only the id.
 *  4. An entry is in a slot of the ring exactly when it is in its table's `cached` index and not
 *     hollow (`slot` ≥ 0). A hollow entry is clean: its state is the database's.
 *  5. Every address put into the database is added to the address filter first (as its entry is
 *     marked dirty, or as a restore writes it directly), and so is every address whose id the
 *     change tracker keeps for an evicted entry: an address the filter rules out is neither in the
 *     database nor tracked by id, and its lookup skips both.
 *  6. An address whose key does not fit LMDB (an id of about 1,950 UTF-8 bytes or more) is kept
 *     in memory only: its entry is never written, never evicted, and counts as uncommitted; its
 *     expiring values are scheduled in memory instead of the expiry index, and swept as the
 *     others are. A database without such addresses' state is never kept across a stop.
 *  7. A batch that fails changes nothing in the database, and a later one writes its entries'
 *     newest state; after five failures in a row the store reports that it cannot go on
 *     (write-behind.ts, its invariant 2). The database is kept across a stop only when nothing is
 *     left unwritten.
 */
import { StatefunError } from "@statefun-ts/protocol";
import type { Database, RootDatabase } from "lmdb";
import type { AddressState, CheckpointRef, Logger, StateRecord } from "@statefun-ts/runtime";
import { StateValuesEncoder, countOf, errorFields } from "@statefun-ts/runtime";
import type { DiskStateTable } from "./disk-table.js";
import type { CacheEntry } from "./cache-ring.js";
import { CacheRing } from "./cache-ring.js";
import { eachStored, keyGroupRecords } from "./key-group-records.js";
import type { DirectWrites } from "./direct-writes.js";
import { restoreRecords } from "./direct-writes.js";
import type { CaptureStore, DiskCapture } from "./disk-capture.js";
import { EntryTracker, GONE, HOLLOW } from "./entry-tracker.js";
import { AddressFilter, addressHash } from "./address-filter.js";
import { keepState, openWorkingCopy } from "./kept-state.js";
import type { KeptState } from "./kept-state.js";
import { StoredReads } from "./stored-reads.js";
import { BulkWrites, WriteBehind, databaseFailed } from "./write-behind.js";
import { DiskExpiry, expires } from "./disk-expiry.js";
import { keyFits } from "./keys.js";

/** Options of a {@link DiskStore}. */
export interface DiskStoreOptions {
  readonly directory: string;
  readonly maxKeyGroups: number;
  readonly maxCachedAddresses: number;
  readonly maxDirtyAddresses: number;
  readonly flushIntervalMs: number;
  /**
   * Ids of changed addresses out of the cache that the change tracker keeps, at least; beyond
   * this and a quarter of all addresses, the next checkpoint is a full one.
   */
  readonly maxTrackedChanges: number;
  readonly logger: Logger;
}

/**
 * Records of changed entries' states kept for the captures (invariant 3), per address the cache
 * holds: enough for two checkpoints' worth of new addresses at a few hundred thousand a second
 * with the default cache and a checkpoint a second.
 */
export const RECORDS_PER_CACHED_ADDRESS = 4;
/** An eviction pass makes room for this fraction of the cache (1/64). */
const EVICT_FRACTION = 64;

/** The database, the cache and the write-behind. */
export class DiskStore implements CaptureStore {
  readonly maxKeyGroups: number;
  /** Set while changes are tracked. */
  tracker: EntryTracker | undefined = undefined;
  /** The capture of the checkpoint being written, if any. */
  capture: DiskCapture | undefined = undefined;
  /** Values stored (values expired but not yet swept count until swept). */
  values = 0;
  /** The expiry index, and the expirations of addresses kept in memory only (invariant 6). */
  readonly expiries: DiskExpiry;
  private readonly options: DiskStoreOptions;
  private readonly root: RootDatabase<Uint8Array, Uint8Array>;
  private readonly expiry: Database<Uint8Array, Uint8Array>;
  /** The cached entries. */
  private readonly ring = new CacheRing();
  /** True when the last sweep found nothing to evict: wait for a commit before sweeping again. */
  private allPinned = false;
  /** Reads of the database, past the cache (the address filter may hold the address). */
  private readonly reads: StoredReads;
  private readonly encoder = new StateValuesEncoder();
  /** Writes changed entries and index changes to the database. */
  private readonly writes: WriteBehind;
  /** Transactions of a bulk restore, not yet waited for. */
  private readonly bulk: BulkWrites;
  /** What restored records are written straight into. */
  private readonly direct: DirectWrites;
  /** Addresses that may be in the database: a lookup of any other skips the read. */
  private written = new AddressFilter();
  /** What a clean stop kept of the database, until recovery says whether it resumes from it. */
  private kept: KeptState | undefined;
  /** Addresses kept in memory only (invariant 6): the database then is never kept. */
  private memoryOnly = 0;
  /** Hollow entries holding their state (invariant 3). */
  private heldStates = 0;
  /** The tables whose entries the cache holds. */
  private readonly tables = new Set<DiskStateTable>();
  private closed = false;

  constructor(options: DiskStoreOptions) {
    this.options = options;
    this.maxKeyGroups = options.maxKeyGroups;
    ({
      root: this.root,
      expiry: this.expiry,
      kept: this.kept,
    } = openWorkingCopy(options.directory, options.maxKeyGroups));
    this.bulk = new BulkWrites(options.directory);
    this.reads = new StoredReads(this.root, this.bulk);
    this.direct = {
      root: this.root,
      expiry: this.expiry,
      written: () => this.written,
      probe: this.reads.probe,
      decoder: this.reads.decoder,
      encoder: this.encoder,
      directory: options.directory,
      maxKeyGroups: options.maxKeyGroups,
      idle: () => this.writes.idle,
      bulk: this.bulk,
      counted: (table, before, after) => this.countedValues(table, before, after),
    };
    this.writes = new WriteBehind({
      root: this.root,
      expiry: this.expiry,
      directory: options.directory,
      maxDirtyAddresses: options.maxDirtyAddresses,
      flushIntervalMs: options.flushIntervalMs,
      logger: options.logger,
      encode: (entry) => this.encoded(entry),
      committed: () => {
        this.allPinned = false;
        if (this.cacheSize > this.options.maxCachedAddresses) this.evict();
      },
    });
    this.expiries = new DiskExpiry({
      expiry: this.expiry,
      changeIndex: (key, put) => this.writes.changeIndex(key, put),
    });
  }

  /** Registers a table: its entries are the store's. */
  addTable(table: DiskStateTable): void {
    this.tables.add(table);
  }

  /** Addresses cached. */
  get cacheSize(): number {
    return this.ring.size;
  }

  /** Changed addresses not written to the database yet (an address may count twice). */
  get unwritten(): number {
    return this.writes.unwrittenAddresses;
  }

  /** Write batches the database failed, in all. */
  get writeFailures(): number {
    return this.writes.failures;
  }

  /**
   * The values of an address as the database stores them (see `StateValuesEncoder`): a view into
   * LMDB's read buffer, valid until the next read.
   */
  storedBytes(table: DiskStateTable, id: string, keyGroup: number): Uint8Array | undefined {
    return this.reads.bytes(table, id, keyGroup);
  }

  /**
   * A hollow entry the capture no longer needs leaves its table; the tracker keeps the id of one
   * marked since.
   */
  released(entry: CacheEntry): void {
    if (entry.slot !== HOLLOW) return;
    this.unhold(entry);
    // Marked since, with a record for the next capture: hollow for that one.
    if (this.tracker?.hasRecord(entry) === true) this.tracker.hollow(entry);
    else this.remove(entry);
  }

  /**
   * Takes an entry out of its table; the tracker keeps the id of a marked one, which the address
   * filter then holds too (a lookup it rules out needs no search of the tracked ids).
   */
  private remove(entry: CacheEntry): void {
    entry.slot = GONE;
    entry.table.cached.delete(entry);
    if (entry.markedEpoch !== this.tracker?.epoch) return;
    // With state, it was written, and so added, already.
    if (entry.state === undefined) this.written.add(entry.hash);
    this.tracker.evict(entry);
  }

  /** Starts tracking changes, within the bound on tracked ids (see {@link EntryTracker}). */
  startTracking(): void {
    this.tracker ??= this.newTracker();
  }

  private newTracker(): EntryTracker {
    const { maxTrackedChanges, logger } = this.options;
    return new EntryTracker(this.maxKeyGroups, {
      maxTrackedChanges,
      logger,
      addresses: () => {
        let addresses = 0;
        for (const table of this.tables) addresses += table.addresses;
        return addresses;
      },
    });
  }

  /**
   * Calls `each` with every address in one key group of the database and its values as stored (a
   * view valid during the call only).
   */
  storedRecords(
    keyGroup: number,
    each: (typename: string, id: string, stored: Uint8Array) => void,
  ): void {
    eachStored(this.root, keyGroup, each);
  }

  /** Notes that an entry is about to change: for the capture in progress and the tracker. */
  noteChange(entry: CacheEntry): void {
    const tracker = this.tracker;
    if (tracker === undefined || entry.markedEpoch === tracker.epoch) return;
    this.capture?.beforeChange(entry);
    tracker.mark(entry);
  }

  /** The cache entry of an address, loading it from the database on a miss. */
  entry(table: DiskStateTable, id: string, keyGroup: number): CacheEntry {
    const hash = addressHash(table.seed, id);
    let entry = table.cached.get(hash, id);
    if (entry !== undefined) {
      if (entry.slot === HOLLOW) this.revive(entry);
      else entry.referenced = true;
      return entry;
    }
    // Neither in the database nor tracked by id (invariant 5) unless the filter may hold it.
    const known = this.written.mayContain(hash);
    entry = {
      table,
      id,
      hash,
      keyGroup,
      state: known ? this.reads.state(table, id, keyGroup) : undefined,
      dirty: false,
      pending: 0,
      indexedAtMs: undefined,
      referenced: false,
      markedEpoch: 0,
      changeIndex: 0,
      cut: undefined,
      cutEpoch: 0,
      slot: GONE,
      held: false,
      memoryOnly: !keyFits(table.typenameKey, id),
    };
    if (entry.memoryOnly) {
      this.memoryOnly++;
      this.options.logger.warn(
        { functionType: table.typename, id: `${id.slice(0, 64)}…`, idLength: id.length },
        "an address id too long for the disk state database: its state is kept in memory only",
      );
    }
    this.insert(entry);
    table.cached.add(entry);
    // The address may have changed since the last capture, or be in the capture, by id only.
    if (known && this.tracker?.adopt(entry) !== true) this.capture?.adopt(entry);
    return entry;
  }

  /** Puts an entry into a slot of the ring. */
  private insert(entry: CacheEntry): void {
    // Make room before inserting, so that the entry being handed out is never the one evicted.
    if (this.cacheSize >= this.options.maxCachedAddresses && !this.allPinned) this.evict();
    this.ring.add(entry);
  }

  /** Brings a hollow entry back into the cache, with its state. */
  private revive(entry: CacheEntry): void {
    if (entry.held) {
      entry.held = false;
      this.heldStates--;
    } else {
      entry.state = this.written.mayContain(entry.hash)
        ? this.reads.state(entry.table, entry.id, entry.keyGroup)
        : undefined;
    }
    entry.referenced = false;
    this.insert(entry);
  }

  unhold(entry: CacheEntry): void {
    if (!entry.held) return;
    entry.held = false;
    entry.state = undefined;
    this.heldStates--;
  }

  /** Restores records, straight into the database where it can (see {@link restoreRecords}). */
  restore(
    records: readonly StateRecord[],
    tableOf: (typename: string) => DiskStateTable,
    markChanged: boolean,
    bulk = false,
  ): void {
    restoreRecords(this.direct, records, tableOf, markChanged, bulk);
  }

  /** Counts a change of an address's state from `before` to `after`. */
  counted(
    table: DiskStateTable,
    before: AddressState | undefined,
    after: AddressState | undefined,
  ): void {
    this.countedValues(table, countOf(before), countOf(after));
  }

  /** Counts a change of an address from `before` values to `after` (none: no state). */
  private countedValues(table: DiskStateTable, before: number, after: number): void {
    table.addresses += (after === 0 ? 0 : 1) - (before === 0 ? 0 : 1);
    this.values += after - before;
  }

  /**
   * Marks an entry as changing: it is written in a later batch (see {@link WriteBehind}), so the
   * address filter holds it from now on (invariant 5). Its record for the next capture, if any, no
   * longer holds (invariant 3).
   */
  markDirty(entry: CacheEntry): void {
    if (entry.markedEpoch !== 0) this.tracker?.dropRecord(entry);
    // Now rather than as the batch is written: the lookup that found the address new has just
    // read this part of the filter, which a batch written later would read again from memory.
    if (!entry.dirty) this.written.add(entry.hash);
    this.writes.markDirty(entry);
  }

  /**
   * The state of an entry about to be written, as the database stores it. When a capture is to
   * write that state, the whole record is encoded, kept for it (invariant 3), and its values
   * stored.
   */
  private encoded(entry: CacheEntry): Uint8Array {
    const state = entry.state as AddressState;
    const tracker = this.tracker;
    if (tracker === undefined || entry.markedEpoch === 0) return this.encoder.stored(state);
    const changes = tracker.recordsFor(entry) ?? this.capture?.recordsFor(entry);
    if (
      changes === undefined ||
      expires(state) ||
      tracker.records + (this.capture?.records ?? 0) >=
        this.options.maxCachedAddresses * RECORDS_PER_CACHED_ADDRESS
    ) {
      return this.encoder.stored(state);
    }
    const length = this.encoder.record(entry.table.typename, entry.id, state);
    return changes.keepRecord(entry, this.encoder, length);
  }

  /** Calls `listener` once when writes keep failing (invariant 7), at once if they have. */
  onFailure(listener: (error: StatefunError) => void): void {
    this.writes.onFailure(listener);
  }

  /**
   * Writes what is dirty in one batch, committed asynchronously (in order), and waits for a bulk
   * restore's writes.
   *
   * @throws StatefunError `storage-failed` when a bulk restore's writes failed.
   */
  async flush(): Promise<unknown> {
    await this.bulk.settled();
    return this.writes.flush();
  }

  /**
   * Sweeps the hand around the ring, dropping clean unreferenced entries, until the cache is 1/64
   * below its bound: one sweep makes room for many misses. Entries that are dirty or pending are
   * passed over (they are written soon); when a whole sweep finds none to drop, no sweep happens
   * until the next commit.
   */
  private evict(): void {
    const max = this.options.maxCachedAddresses;
    this.ring.sweep(max - Math.max(1, Math.floor(max / EVICT_FRACTION)), (entry) =>
      this.drop(entry),
    );
    if (this.cacheSize > max) this.allPinned = true;
  }

  /**
   * Removes a clean entry from the ring. One that the capture in progress still needs, or that is
   * marked as changed since the last capture, stays in its table, hollow (invariant 3), and may
   * keep its state for the capture, which saves reading it back; of any other one marked as
   * changed, the tracker keeps the id.
   */
  private drop(entry: CacheEntry): void {
    this.ring.delete(entry);
    const capture = this.capture;
    const holds = this.heldStates < this.options.maxCachedAddresses;
    if (capture?.keeps(entry) === true) {
      capture.hollow(entry);
      if (holds && capture.needsState(entry) && !capture.hasRecord(entry)) {
        this.hold(entry);
      } else entry.state = undefined;
      return;
    }
    const tracker = this.tracker;
    if (tracker?.hasRecord(entry) === true) {
      tracker.hollow(entry);
      entry.state = undefined;
      return;
    }
    if (holds && tracker?.tracks(entry) === true) {
      tracker.hollow(entry);
      this.hold(entry);
      return;
    }
    this.remove(entry);
  }

  /** Keeps the state of an entry made hollow (invariant 3). */
  private hold(entry: CacheEntry): void {
    entry.held = true;
    this.heldStates++;
  }

  /**
   * Every address's state in one key group (values expired by `nowMs` left out): the database's,
   * with cached entries not yet committed in their place. Nothing is cached by the read.
   */
  keyGroupRecords(keyGroup: number, nowMs: number): StateRecord[] {
    return keyGroupRecords(this.root, this.reads.decoder, this.ring.uncommitted(), keyGroup, nowMs);
  }

  /** Keys in `[start, end)` in the database (committed state), in key order. */
  *keysIn(start: Uint8Array, end: Uint8Array, exclusiveStart: boolean): Generator<Uint8Array> {
    for (const key of this.root.getKeys({ start, end, exclusiveStart })) yield key;
  }

  /** Cached entries not yet committed to the database, or never (they may be missing from it). */
  uncommitted(): CacheEntry[] {
    return this.ring.uncommitted();
  }

  /**
   * Recovery is about to restore `checkpoint` (`undefined`: none). True when the database is
   * the one a clean stop kept at exactly that checkpoint: the counts and the address filter come
   * back with it. Otherwise what was kept is removed. Only the first call can return true.
   */
  resume(
    checkpoint: CheckpointRef | undefined,
    tableOf: (typename: string) => DiskStateTable,
  ): boolean {
    const kept = this.kept;
    if (kept === undefined) return false;
    this.kept = undefined;
    const filter = AddressFilter.fromBytes(kept.filter);
    if (
      checkpoint === undefined ||
      filter === undefined ||
      checkpoint.id !== kept.checkpoint.id ||
      checkpoint.name !== kept.checkpoint.name
    ) {
      this.clear();
      return false;
    }
    // Entries changed before now are to be written too (invariant 5).
    for (const entry of this.uncommitted()) filter.add(entry.hash);
    this.written = filter;
    this.values = kept.values;
    for (const [typename, addresses] of Object.entries(kept.addresses)) {
      tableOf(typename).addresses = addresses;
    }
    return true;
  }

  /** Removes everything (before restoring another checkpoint after a failed restore). */
  clear(): void {
    if (this.bulk.pending) {
      // Its transactions would land after the clear.
      throw new StatefunError("illegal-state", "cleared while a restore is being written");
    }
    this.capture?.release();
    // The tracker's entries are gone with the tables' maps.
    if (this.tracker !== undefined) this.tracker = this.newTracker();
    for (const table of this.tables) table.cached.clear();
    this.heldStates = 0;
    this.ring.clear();
    this.allPinned = false;
    this.writes.clear();
    this.values = 0;
    this.memoryOnly = 0;
    this.expiries.clear();
    this.written = new AddressFilter();
    try {
      this.root.clearSync();
      this.expiry.clearSync();
    } catch (error) {
      throw databaseFailed(this.options.directory, "clearing it", error);
    }
  }

  /**
   * Writes what is dirty, waits for it, and closes the database. With `keep`, the checkpoint
   * whose state the database holds exactly, it is made durable and kept for the next start.
   */
  async close(keep?: {
    readonly checkpoint: CheckpointRef;
    readonly addresses: Record<string, number>;
  }): Promise<void> {
    if (this.closed) return;
    // A failed restore was reported already (its start failed): the database misses state.
    const restored = await this.bulk.settled().then(
      () => true,
      () => false,
    );
    await this.writes.flush();
    // A failed batch was reported already; what it held is left unwritten.
    await this.writes.settled();
    this.closed = true;
    this.writes.close();
    await this.root.close();
    // Something left unwritten (invariant 7): the database misses changes.
    if (keep === undefined || !restored || this.writes.unwritten || this.memoryOnly > 0) return;
    try {
      keepState(this.options.directory, {
        checkpoint: keep.checkpoint,
        maxKeyGroups: this.options.maxKeyGroups,
        values: this.values,
        addresses: keep.addresses,
        filter: this.written.toBytes(),
      });
    } catch (error) {
      // Keeping only saves the next start a restore: the stop itself went well.
      this.options.logger.warn(
        { directory: this.options.directory, ...errorFields(error) },
        "the disk state database could not be kept; the next start restores it from the checkpoint",
      );
    }
  }
}
