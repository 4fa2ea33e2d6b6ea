/**
 * The change tracker of the disk backend's captures, by cache entry: the addresses changed in each
 * epoch, per key group, as entries, ids of evicted entries and the records the write-behind
 * encoded of entries' states. How captures use it, and the invariants cited here, are in
 * disk-capture.ts.
 */
import type { Logger, StateValuesEncoder } from "@statefun-ts/runtime";
import type { CacheEntry } from "./cache-ring.js";
import type { DiskStateTable } from "./disk-table.js";
import { RecordChunks } from "./record-chunks.js";

/** Epochs start at 1: an entry never marked (or no longer) has epoch 0. */
let nextEpoch = 1;

/** The `slot` of an entry evicted from the cache but kept in its table for a capture. */
export const HOLLOW = -1;
/** The `slot` of an entry no longer in its table. */
export const GONE = -2;

/**
 * The addresses changed in one epoch, per key group: entries, and ids of evicted entries; and the
 * records the write-behind encoded of entries' states (invariant 4).
 */
export class EpochChanges {
  /** Entries per key group; a slot is emptied when its entry is evicted (invariant 1). */
  readonly entries: ((CacheEntry | undefined)[] | undefined)[];
  /**
   * Per key group, the place in {@link chunks} of the record of the entry in the same slot of
   * {@link entries} (-1: none).
   */
  readonly recordAt: (number[] | undefined)[];
  /** Per key group, the records (invariant 4). */
  readonly chunks: (RecordChunks | undefined)[];
  /** Records held. */
  recordCount = 0;
  /** Ids of evicted entries, per key group and table. */
  readonly evicted: (Map<DiskStateTable, Set<string>> | undefined)[];
  /**
   * Entries the cache evicted that stay in their table, hollow, until the capture of these changes
   * is released (an entry may be here more than once).
   */
  hollowed: CacheEntry[] = [];
  /** Ids in {@link evicted}. */
  private evictedIds = 0;

  constructor(maxKeyGroups: number) {
    this.entries = new Array<(CacheEntry | undefined)[] | undefined>(maxKeyGroups).fill(undefined);
    this.recordAt = new Array<number[] | undefined>(maxKeyGroups).fill(undefined);
    this.chunks = new Array<RecordChunks | undefined>(maxKeyGroups).fill(undefined);
    this.evicted = new Array<Map<DiskStateTable, Set<string>> | undefined>(maxKeyGroups).fill(
      undefined,
    );
  }

  get isEmpty(): boolean {
    return this.evictedIds === 0 && this.entries.every((entries) => entries === undefined);
  }

  /** Ids of evicted entries held. */
  get evictedCount(): number {
    return this.evictedIds;
  }

  /** Makes an entry the cache evicts hollow: it stays in its table until {@link hollowed} go. */
  hollow(entry: CacheEntry): void {
    entry.slot = HOLLOW;
    this.hollowed.push(entry);
  }

  add(entry: CacheEntry): void {
    const entries = (this.entries[entry.keyGroup] ??= []);
    entry.changeIndex = entries.length;
    entries.push(entry);
    (this.recordAt[entry.keyGroup] ??= []).push(-1);
  }

  /** True when an entry is one of these changes. */
  has(entry: CacheEntry): boolean {
    return this.entries[entry.keyGroup]?.[entry.changeIndex] === entry;
  }

  /** True when an entry of these changes has a record (invariant 4). */
  hasRecord(entry: CacheEntry): boolean {
    return this.has(entry) && (this.recordAt[entry.keyGroup]?.[entry.changeIndex] ?? -1) >= 0;
  }

  /**
   * Keeps the record `encoder` encoded last (`StateValuesEncoder.record`, `length` bytes) as that
   * of an entry of these changes (see {@link has}).
   *
   * @returns the record's values, as the database stores them (a view of the kept record)
   */
  keepRecord(entry: CacheEntry, encoder: StateValuesEncoder, length: number): Uint8Array {
    const keyGroup = entry.keyGroup;
    const recordAt = this.recordAt[keyGroup] as number[];
    if ((recordAt[entry.changeIndex] as number) < 0) this.recordCount++;
    const valuesStart = encoder.valuesStart;
    const chunks = (this.chunks[keyGroup] ??= new RecordChunks());
    const place = chunks.add(encoder, length);
    recordAt[entry.changeIndex] = place;
    return chunks.view(place, valuesStart, length);
  }

  /** Forgets the record of an entry of these changes, if any (its state is about to change). */
  dropRecord(entry: CacheEntry): void {
    const recordAt = this.recordAt[entry.keyGroup];
    if (recordAt === undefined || (recordAt[entry.changeIndex] as number) < 0 || !this.has(entry)) {
      return;
    }
    recordAt[entry.changeIndex] = -1;
    this.recordCount--;
  }

  /** Keeps only the id of an entry the cache evicts; the entry is no longer marked. */
  evict(entry: CacheEntry): void {
    this.dropRecord(entry);
    const entries = this.entries[entry.keyGroup];
    if (entries?.[entry.changeIndex] === entry) entries[entry.changeIndex] = undefined;
    entry.markedEpoch = 0;
    this.addId(entry.table, entry.keyGroup, entry.id);
  }

  addId(table: DiskStateTable, keyGroup: number, id: string): void {
    let tables = this.evicted[keyGroup];
    if (tables === undefined) {
      tables = new Map();
      this.evicted[keyGroup] = tables;
    }
    let ids = tables.get(table);
    if (ids === undefined) {
      ids = new Set();
      tables.set(table, ids);
    }
    if (!ids.has(id)) {
      ids.add(id);
      this.evictedIds++;
    }
  }

  /** Makes a new entry of an address whose evicted entry's id is here the address's change. */
  adopt(entry: CacheEntry): boolean {
    if (this.evictedIds === 0) return false;
    if (this.evicted[entry.keyGroup]?.get(entry.table)?.delete(entry.id) !== true) return false;
    this.evictedIds--;
    this.add(entry);
    return true;
  }
}

/** What bounds the ids of evicted entries a tracker holds. */
export interface TrackedIdsBound {
  /** Ids held at least, however few addresses there are. */
  readonly maxTrackedChanges: number;
  /** Told once the tracker starts counting everything as changed. */
  readonly logger: Logger;
  /** All addresses now: a quarter of them may be held, when that is more. */
  addresses(): number;
}

/**
 * The addresses changed since the last capture. The ids of changed addresses evicted from the
 * cache are kept up to `maxTrackedChanges` or a quarter of all addresses, whichever is more;
 * beyond that the tracker counts everything as changed (logged as a warning) and the next capture
 * is full, so that what tracking holds stays bounded however long checkpoints cannot be written.
 */
export class EntryTracker {
  /** Changes since the last capture are of this epoch. */
  epoch = nextEpoch++;
  /** True when everything counts as changed: the next capture is a full one. */
  full = false;
  private changes: EpochChanges;
  private readonly maxKeyGroups: number;
  private readonly bound: TrackedIdsBound;
  /** Ids of evicted entries held without looking at the bound again. */
  private allowed: number;

  constructor(maxKeyGroups: number, bound: TrackedIdsBound) {
    this.maxKeyGroups = maxKeyGroups;
    this.changes = new EpochChanges(maxKeyGroups);
    this.bound = bound;
    this.allowed = this.allowance();
  }

  /** Marks an entry as changed in this epoch (once: invariant 1). */
  mark(entry: CacheEntry): void {
    if (entry.markedEpoch === this.epoch) return;
    entry.markedEpoch = this.epoch;
    if (!this.full) this.changes.add(entry);
  }

  /** Keeps only the id of a marked entry the cache evicts. */
  evict(entry: CacheEntry): void {
    if (this.full) return;
    this.changes.evict(entry);
    this.bounded();
  }

  /**
   * Keeps a marked entry the cache evicts in its table, hollow, as this epoch's change, until the
   * capture of this epoch is released (the caller decides whether it holds its state).
   */
  hollow(entry: CacheEntry): void {
    this.changes.hollow(entry);
  }

  /** True when an entry is marked in this epoch while changes are tracked one by one. */
  tracks(entry: CacheEntry): boolean {
    return !this.full && entry.markedEpoch === this.epoch;
  }

  /** True when an entry marked in this epoch has a record (invariant 4). */
  hasRecord(entry: CacheEntry): boolean {
    return this.tracks(entry) && this.changes.hasRecord(entry);
  }

  /** The changes of this epoch, when an entry is one of them (it may get a record: invariant 4). */
  recordsFor(entry: CacheEntry): EpochChanges | undefined {
    return this.tracks(entry) && this.changes.has(entry) ? this.changes : undefined;
  }

  /** Forgets the record of an entry marked in this epoch, whose state is about to change. */
  dropRecord(entry: CacheEntry): void {
    if (this.tracks(entry)) this.changes.dropRecord(entry);
  }

  /** Records held. */
  get records(): number {
    return this.changes.recordCount;
  }

  /** Marks the new entry of an address whose evicted entry was marked: true if it was. */
  adopt(entry: CacheEntry): boolean {
    if (this.full || !this.changes.adopt(entry)) return false;
    entry.markedEpoch = this.epoch;
    return true;
  }

  /** Marks an address with no entry as changed in this epoch (its entry was evicted). */
  markId(table: DiskStateTable, keyGroup: number, id: string): void {
    if (this.full) return;
    this.changes.addId(table, keyGroup, id);
    this.bounded();
  }

  /** Counts everything as changed from now on, until the next capture (which is then full). */
  markAll(): void {
    if (this.full) return;
    this.full = true;
    this.bound.logger.warn(
      { trackedIds: this.changes.evictedCount },
      "too many changed addresses out of the cache to track by id; the next checkpoint writes the whole state",
    );
    // Its hollow entries stay in their tables until the next capture is released.
    const hollowed = this.changes.hollowed;
    this.changes = new EpochChanges(this.maxKeyGroups);
    this.changes.hollowed = hollowed;
  }

  /** True when an address changed since the last capture. */
  hasChanges(): boolean {
    return this.full || !this.changes.isEmpty;
  }

  /** Takes this epoch's changes; a new epoch begins. */
  drain(): { readonly epoch: number; readonly changes: EpochChanges; readonly full: boolean } {
    const drained = { epoch: this.epoch, changes: this.changes, full: this.full };
    this.epoch = nextEpoch++;
    this.changes = new EpochChanges(this.maxKeyGroups);
    this.full = false;
    return drained;
  }

  /** Counts everything as changed once more ids are held than allowed. */
  private bounded(): void {
    const ids = this.changes.evictedCount;
    if (ids <= this.allowed) return;
    this.allowed = this.allowance();
    if (ids > this.allowed) this.markAll();
  }

  private allowance(): number {
    return Math.max(this.bound.maxTrackedChanges, Math.floor(this.bound.addresses() / 4));
  }
}
