/**
 * Change tracking and copy-on-write capture for the disk backend, by cache entry. The tracker
 * keeps, per key group, the cache entries of the addresses changed since the last capture; an
 * entry remembers the epoch in which it was last marked, so that marking it again, and the
 * capture's check before a change, are field reads instead of lookups by id. When the cache
 * evicts a marked entry, the tracker keeps only its id (so that tracking costs little more than
 * the id while checkpoints cannot be written), and hands the mark to the address's next entry.
 *
 * A capture takes the tracker's changes at the cut (no value copied). Until its key group is
 * written, an entry of the capture that is about to change keeps a copy of the cut's state on
 * itself, and an entry of the capture that the cache evicts stays in its table, hollow (see
 * disk-store.ts), so that the address keeps that one entry until the capture is released.
 *
 * Invariants:
 *  1. An address is in an epoch's changes at most once: as an entry, pushed when its
 *     `markedEpoch` changes to the epoch, or as an id, which replaces the entry when the cache
 *     evicts it and goes back to being an entry when the address is next loaded.
 *  2. While a capture is in progress, an entry of its epoch whose key group is still to be written
 *     either is unchanged since the cut (its `state` is the cut's) or holds the cut's state in
 *     `cut` (with `cutEpoch` the capture's epoch). An id of its epoch whose key group is still to
 *     be written is not cached: its state in the database is the cut's.
 */
import { StatefunError } from "@statefun-ts/protocol";
import type { AddressState, StateChangeCapture, StateRecordSink } from "@statefun-ts/runtime";
import { copyState } from "@statefun-ts/runtime";
import type { CacheEntry } from "./cache-ring.js";
import type { DiskStateTable } from "./disk-table.js";

/** Epochs start at 1: an entry never marked (or no longer) has epoch 0. */
let nextEpoch = 1;

/** The `slot` of an entry evicted from the cache but kept in its table for a capture. */
export const HOLLOW = -1;
/** The `slot` of an entry no longer in its table. */
export const GONE = -2;

/** The addresses changed in one epoch, per key group: entries, and ids of evicted entries. */
class EpochChanges {
  /** Entries per key group; a slot is emptied when its entry is evicted (invariant 1). */
  readonly entries: ((CacheEntry | undefined)[] | undefined)[];
  /** Ids of evicted entries, per key group and table. */
  readonly evicted: (Map<DiskStateTable, Set<string>> | undefined)[];
  /** Ids in {@link evicted}. */
  private evictedIds = 0;

  constructor(maxKeyGroups: number) {
    this.entries = new Array<(CacheEntry | undefined)[] | undefined>(maxKeyGroups).fill(undefined);
    this.evicted = new Array<Map<DiskStateTable, Set<string>> | undefined>(maxKeyGroups).fill(
      undefined,
    );
  }

  get isEmpty(): boolean {
    return this.evictedIds === 0 && this.entries.every((entries) => entries === undefined);
  }

  add(entry: CacheEntry): void {
    const entries = (this.entries[entry.keyGroup] ??= []);
    entry.changeIndex = entries.length;
    entries.push(entry);
  }

  /** Keeps only the id of an entry the cache evicts; the entry is no longer marked. */
  evict(entry: CacheEntry): void {
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

/** The addresses changed since the last capture. */
export class EntryTracker {
  /** Changes since the last capture are of this epoch. */
  epoch = nextEpoch++;
  private changes: EpochChanges;
  private readonly maxKeyGroups: number;

  constructor(maxKeyGroups: number) {
    this.maxKeyGroups = maxKeyGroups;
    this.changes = new EpochChanges(maxKeyGroups);
  }

  /** Marks an entry as changed in this epoch (once: invariant 1). */
  mark(entry: CacheEntry): void {
    if (entry.markedEpoch === this.epoch) return;
    entry.markedEpoch = this.epoch;
    this.changes.add(entry);
  }

  /** Keeps only the id of a marked entry the cache evicts. */
  evict(entry: CacheEntry): void {
    this.changes.evict(entry);
  }

  /** Marks the new entry of an address whose evicted entry was marked: true if it was. */
  adopt(entry: CacheEntry): boolean {
    if (!this.changes.adopt(entry)) return false;
    entry.markedEpoch = this.epoch;
    return true;
  }

  /** Marks an address with no entry as changed in this epoch (its entry was evicted). */
  markId(table: DiskStateTable, keyGroup: number, id: string): void {
    this.changes.addId(table, keyGroup, id);
  }

  /** True when an address changed since the last capture. */
  hasChanges(): boolean {
    return !this.changes.isEmpty;
  }

  /** Takes this epoch's changes; a new epoch begins. */
  drain(): { readonly epoch: number; readonly changes: EpochChanges } {
    const drained = { epoch: this.epoch, changes: this.changes };
    this.epoch = nextEpoch++;
    this.changes = new EpochChanges(this.maxKeyGroups);
    return drained;
  }
}

/** What a capture needs of the store. */
export interface CaptureStore {
  tracker: EntryTracker | undefined;
  capture: DiskCapture | undefined;
  /** The state of an address in the database. */
  committedState(table: DiskStateTable, id: string, keyGroup: number): AddressState | undefined;
  /** Called when a hollow entry is no longer needed by the capture. */
  released(entry: CacheEntry): void;
  /** Lets a hollow entry's state go: it is read from the database when needed again. */
  unhold(entry: CacheEntry): void;
}

/** A capture in progress. */
export class DiskCapture implements StateChangeCapture {
  /** The tracker epoch this capture took. */
  readonly epoch: number;
  private readonly cutMs: number;
  private readonly store: CaptureStore;
  private readonly changes: EpochChanges;
  /** Key groups written (1) or still to write (0). */
  private readonly done: Uint8Array;
  private released = false;

  private constructor(store: CaptureStore, cutMs: number, epoch: number, changes: EpochChanges) {
    this.store = store;
    this.cutMs = cutMs;
    this.epoch = epoch;
    this.changes = changes;
    this.done = new Uint8Array(changes.entries.length);
  }

  /**
   * Starts a capture of the changes `store`'s tracker tracked since the last one (none while
   * changes are not tracked).
   *
   * @throws StatefunError `illegal-state` while another capture is in progress.
   */
  static start(store: CaptureStore, cutMs: number, maxKeyGroups: number): DiskCapture {
    if (store.capture !== undefined) {
      throw new StatefunError("illegal-state", "a state capture is already in progress");
    }
    const drained = store.tracker?.drain();
    const capture =
      drained === undefined
        ? new DiskCapture(store, cutMs, -1, new EpochChanges(maxKeyGroups))
        : new DiskCapture(store, cutMs, drained.epoch, drained.changes);
    store.capture = capture;
    return capture;
  }

  /**
   * True while the capture needs this entry (until it is released: an abandoned capture marks its
   * entries again): one of its epoch, unchanged since the cut or holding the cut's state.
   */
  keeps(entry: CacheEntry): boolean {
    return !this.released && (entry.markedEpoch === this.epoch || entry.cutEpoch === this.epoch);
  }

  /** True while the capture has still to write this entry's current state (the cut's). */
  needsState(entry: CacheEntry): boolean {
    return !this.released && entry.markedEpoch === this.epoch && this.done[entry.keyGroup] === 0;
  }

  /**
   * Makes a new entry of an address whose evicted entry's id the capture holds, and whose key
   * group is still to be written, the capture's entry: true if it was (invariant 2).
   */
  adopt(entry: CacheEntry): boolean {
    if (this.released || this.done[entry.keyGroup] !== 0 || !this.changes.adopt(entry)) {
      return false;
    }
    entry.markedEpoch = this.epoch;
    return true;
  }

  /**
   * Called before an entry's state changes (once per epoch, before it is marked): keeps a copy of
   * the cut's state if the capture still needs it (invariant 2).
   */
  beforeChange(entry: CacheEntry): void {
    if (entry.markedEpoch !== this.epoch || this.done[entry.keyGroup] !== 0) return;
    if (entry.cutEpoch === this.epoch) return;
    entry.cut = entry.state === undefined ? undefined : copyState(entry.state);
    entry.cutEpoch = this.epoch;
  }

  keyGroups(): number[] {
    const groups: number[] = [];
    for (let keyGroup = 0; keyGroup < this.changes.entries.length; keyGroup++) {
      const ids = this.changes.evicted[keyGroup];
      if (
        this.changes.entries[keyGroup] !== undefined ||
        (ids !== undefined && [...ids.values()].some((set) => set.size > 0))
      ) {
        groups.push(keyGroup);
      }
    }
    return groups;
  }

  write(keyGroup: number, sink: StateRecordSink): void {
    if (this.released) throw new StatefunError("illegal-state", "the state capture was released");
    if (this.done[keyGroup] !== 0) return;
    this.done[keyGroup] = 1;
    for (const entry of this.changes.entries[keyGroup] ?? []) {
      if (entry === undefined) continue;
      let state: AddressState | undefined;
      if (entry.cutEpoch === this.epoch) {
        state = entry.cut;
        entry.cut = undefined;
        entry.cutEpoch = 0;
      } else if (entry.markedEpoch !== this.epoch) {
        // Evicted, and so written below by id.
        continue;
      } else if (entry.slot >= 0) {
        state = entry.state;
      } else if (entry.held) {
        state = entry.state;
        this.store.unhold(entry);
      } else {
        state = this.store.committedState(entry.table, entry.id, keyGroup);
      }
      sink.addAddress(entry.table.typename, entry.id, state, this.cutMs);
    }
    for (const [table, ids] of this.changes.evicted[keyGroup] ?? []) {
      for (const id of ids) {
        sink.addAddress(
          table.typename,
          id,
          this.store.committedState(table, id, keyGroup),
          this.cutMs,
        );
      }
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    for (const entries of this.changes.entries) {
      for (const entry of entries ?? []) {
        if (entry === undefined) continue;
        if (entry.cutEpoch === this.epoch) {
          entry.cut = undefined;
          entry.cutEpoch = 0;
        }
        if (entry.slot === HOLLOW) this.store.released(entry);
      }
    }
    if (this.store.capture === this) this.store.capture = undefined;
  }

  abandon(): void {
    if (this.released) return;
    // Changed again: the next capture writes them.
    const tracker = this.store.tracker;
    if (tracker !== undefined) {
      for (const entries of this.changes.entries) {
        for (const entry of entries ?? []) {
          if (entry?.markedEpoch === this.epoch) tracker.mark(entry);
        }
      }
      this.changes.evicted.forEach((tables, keyGroup) => {
        for (const [table, ids] of tables ?? []) {
          for (const id of ids) tracker.markId(table, keyGroup, id);
        }
      });
    }
    this.release();
  }
}
