/**
 * Change tracking and copy-on-write capture for the disk backend, by cache entry. The tracker
 * (entry-tracker.ts) keeps, per key group, the cache entries of the addresses changed since the
 * last capture; an entry remembers the epoch in which it was last marked, so that marking it
 * again, and the capture's check before a change, are field reads instead of lookups by id. When
 * the cache evicts a marked entry, the entry stays in its table, hollow: without its state when
 * the capture has its record (invariant 4), else with its state as long as the store holds fewer
 * hollow entries' states than the cache holds entries (so that the capture writes it without
 * reading it back from the database); beyond that the tracker keeps only its id (so that tracking
 * costs little more than the id while checkpoints cannot be written), and hands the mark to the
 * address's next entry. Hollow entries stay until the capture that takes their epoch is released.
 *
 * A capture takes the tracker's changes at the cut (no value copied). Until its key group is
 * written, an entry of the capture that is about to change keeps a copy of the cut's state on
 * itself, and an entry of the capture that the cache evicts stays in its table, hollow (see
 * disk-store.ts), so that the address keeps that one entry until the capture is released.
 *
 * Ids of evicted entries are bounded: once more addresses changed out of the cache than the
 * store allows (see `DiskStore`), the tracker forgets them and counts everything as changed, and
 * the next capture is a full one: every address's state at the cut, read from the database with
 * the cache's entries in their place, for a checkpoint that starts a new chain.
 *
 * Invariants:
 *  1. An address is in an epoch's changes at most once: as an entry, pushed when its
 *     `markedEpoch` changes to the epoch, or as an id, which replaces the entry when the cache
 *     evicts it and goes back to being an entry when the address is next loaded.
 *  2. While a capture is in progress, an entry of its epoch whose key group is still to be written
 *     either is unchanged since the cut (its `state` is the cut's) or holds the cut's state in
 *     `cut` (with `cutEpoch` the capture's epoch). An id of its epoch whose key group is still to
 *     be written is not cached: its state in the database is the cut's.
 *  3. While a full capture is in progress, every entry that changes after the cut, in a key group
 *     still to be written, holds the cut's state in `cut` and is in the capture's changes; any
 *     other address's state, in the database or (uncommitted) in its entry, is the cut's.
 *  4. The write-behind may keep, in the changes of the epoch in which an entry is marked (the
 *     tracker's, or the capture's while the entry's key group is still to be written), the record
 *     it encodes of the entry's state as it writes it (record-chunks.ts), when no value of that
 *     state expires. The record is dropped before the entry's state next changes in that epoch; a
 *     change after the cut leaves the capture's record, the cut's state, and keeps no `cut` copy
 *     (invariant 2). A capture writes an entry that has a record from the record, without reading
 *     the entry, and such an entry leaves the cache hollow without its state.
 */
import { StatefunError } from "@statefun-ts/protocol";
import type { AddressState, StateChangeCapture, StateRecordSink } from "@statefun-ts/runtime";
import { copyState } from "@statefun-ts/runtime";
import type { CacheEntry } from "./cache-ring.js";
import type { DiskStateTable } from "./disk-table.js";
import type { EntryTracker } from "./entry-tracker.js";
import { EpochChanges, HOLLOW } from "./entry-tracker.js";

/** What a capture needs of the store. */
export interface CaptureStore {
  tracker: EntryTracker | undefined;
  capture: DiskCapture | undefined;
  /**
   * The values of an address in the database as stored (see `StateValuesEncoder`): a view valid
   * until the next read.
   */
  storedBytes(table: DiskStateTable, id: string, keyGroup: number): Uint8Array | undefined;
  /** Called when a hollow entry is no longer needed by the capture. */
  released(entry: CacheEntry): void;
  /** Lets a hollow entry's state go: it is read from the database when needed again. */
  unhold(entry: CacheEntry): void;
  /** Cached entries not committed to the database (yet, or ever). */
  uncommitted(): CacheEntry[];
  /**
   * Calls `each` with every address in one key group of the database and its values as stored (a
   * view valid during the call only).
   */
  storedRecords(
    keyGroup: number,
    each: (typename: string, id: string, stored: Uint8Array) => void,
  ): void;
}

/** A capture in progress. */
export class DiskCapture implements StateChangeCapture {
  /** The tracker epoch this capture took. */
  readonly epoch: number;
  private readonly cutMs: number;
  private readonly store: CaptureStore;
  /**
   * True for a full capture: every address's state, for a checkpoint that starts a new chain
   * (invariant 3).
   */
  readonly full: boolean;
  private readonly changes: EpochChanges;
  /** Key groups written (1) or still to write (0). */
  private readonly done: Uint8Array;
  /** Of a full capture: entries changed since the cut that hold its state, per key group. */
  private readonly changedSinceCut: (CacheEntry[] | undefined)[] = [];
  /** Of a full capture: entries not committed at the cut, per key group. */
  private readonly uncommittedAtCut: (CacheEntry[] | undefined)[] = [];
  private released = false;

  private constructor(
    store: CaptureStore,
    cutMs: number,
    epoch: number,
    changes: EpochChanges,
    full: boolean,
  ) {
    this.store = store;
    this.cutMs = cutMs;
    this.epoch = epoch;
    this.changes = changes;
    this.full = full;
    this.done = new Uint8Array(changes.entries.length);
    if (full) {
      for (const entry of store.uncommitted()) {
        (this.uncommittedAtCut[entry.keyGroup] ??= []).push(entry);
      }
    }
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
        ? new DiskCapture(store, cutMs, -1, new EpochChanges(maxKeyGroups), false)
        : new DiskCapture(store, cutMs, drained.epoch, drained.changes, drained.full);
    store.capture = capture;
    return capture;
  }

  /**
   * True while the capture needs this entry (until it is released: an abandoned capture marks its
   * entries again): one of its epoch, unchanged since the cut or holding the cut's state.
   */
  keeps(entry: CacheEntry): boolean {
    if (this.released) return false;
    return entry.cutEpoch === this.epoch || (!this.full && entry.markedEpoch === this.epoch);
  }

  /** True while the capture has still to write this entry's current state (the cut's). */
  needsState(entry: CacheEntry): boolean {
    return (
      !this.released &&
      !this.full &&
      entry.markedEpoch === this.epoch &&
      this.done[entry.keyGroup] === 0
    );
  }

  /** Notes an entry the cache evicted that stays in its table, hollow, for the capture. */
  hollow(entry: CacheEntry): void {
    this.changes.hollow(entry);
  }

  /**
   * True when an entry whose state the capture has still to write (the cut's) has a record
   * (invariant 4).
   */
  hasRecord(entry: CacheEntry): boolean {
    return this.needsState(entry) && this.changes.hasRecord(entry);
  }

  /**
   * The capture's changes, when an entry whose state it has still to write (the cut's) is one of
   * them (it may get a record: invariant 4).
   */
  recordsFor(entry: CacheEntry): EpochChanges | undefined {
    return this.needsState(entry) && this.changes.has(entry) ? this.changes : undefined;
  }

  /** Records held. */
  get records(): number {
    return this.released ? 0 : this.changes.recordCount;
  }

  /**
   * Makes a new entry of an address whose evicted entry's id the capture holds, and whose key
   * group is still to be written, the capture's entry: true if it was (invariant 2).
   */
  adopt(entry: CacheEntry): boolean {
    if (
      this.released ||
      this.full ||
      this.done[entry.keyGroup] !== 0 ||
      !this.changes.adopt(entry)
    ) {
      return false;
    }
    entry.markedEpoch = this.epoch;
    return true;
  }

  /**
   * Called before an entry's state changes (once per epoch, before it is marked): keeps a copy of
   * the cut's state if the capture still needs it (invariants 2 and 3).
   */
  beforeChange(entry: CacheEntry): void {
    if (this.released || this.done[entry.keyGroup] !== 0 || entry.cutEpoch === this.epoch) return;
    if (!this.full && entry.markedEpoch !== this.epoch) return;
    // Its record is the cut's state.
    if (!this.full && this.changes.hasRecord(entry)) return;
    entry.cut = entry.state === undefined ? undefined : copyState(entry.state);
    entry.cutEpoch = this.epoch;
    if (this.full) (this.changedSinceCut[entry.keyGroup] ??= []).push(entry);
  }

  keyGroups(): number[] {
    if (this.full) return Array.from({ length: this.done.length }, (_, keyGroup) => keyGroup);
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
    if (this.full) {
      this.writeAll(keyGroup, sink);
      this.done[keyGroup] = 1;
      return;
    }
    this.done[keyGroup] = 1;
    const entries = this.changes.entries[keyGroup] ?? [];
    // The records of the cut's states, written without touching their entries (invariant 4).
    const recordAt = this.changes.recordAt[keyGroup] ?? [];
    this.changes.chunks[keyGroup]?.write(recordAt, sink);
    for (let i = 0; i < entries.length; i++) {
      if ((recordAt[i] as number) >= 0) continue;
      const entry = entries[i];
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
        this.writeStored(entry.table, entry.id, keyGroup, sink);
        continue;
      }
      sink.addAddress(entry.table.typename, entry.id, state, this.cutMs);
    }
    for (const [table, ids] of this.changes.evicted[keyGroup] ?? []) {
      for (const id of ids) this.writeStored(table, id, keyGroup, sink);
    }
  }

  /** Writes an address's state as the database holds it (the cut's, invariant 2). */
  private writeStored(
    table: DiskStateTable,
    id: string,
    keyGroup: number,
    sink: StateRecordSink,
  ): void {
    const stored = this.store.storedBytes(table, id, keyGroup);
    if (stored === undefined) sink.addAddress(table.typename, id, undefined, this.cutMs);
    else sink.addStoredAddress(table.typename, id, stored, this.cutMs);
  }

  /**
   * Of a full capture: every address's state in one key group at the cut, the database's with
   * the entries that were not committed at the cut, or changed since, in their place.
   */
  private writeAll(keyGroup: number, sink: StateRecordSink): void {
    const inPlace = new Map<string, Map<string, AddressState | undefined>>();
    const put = (entry: CacheEntry, state: AddressState | undefined): void => {
      let states = inPlace.get(entry.table.typename);
      if (states === undefined) {
        states = new Map();
        inPlace.set(entry.table.typename, states);
      }
      states.set(entry.id, state);
    };
    for (const entry of this.uncommittedAtCut[keyGroup] ?? []) {
      // Evicted since (committed first), and unchanged: the database has its state.
      if (entry.cutEpoch === this.epoch) put(entry, entry.cut);
      else if (entry.slot >= 0) put(entry, entry.state);
    }
    for (const entry of this.changedSinceCut[keyGroup] ?? []) put(entry, entry.cut);
    this.store.storedRecords(keyGroup, (typename, id, stored) => {
      if (stored.length > 0 && inPlace.get(typename)?.has(id) !== true) {
        sink.addStoredAddress(typename, id, stored, this.cutMs);
      }
    });
    for (const [typename, states] of inPlace) {
      for (const [id, state] of states) {
        if (state !== undefined) sink.addAddress(typename, id, state, this.cutMs);
      }
    }
    // Written: the key group's entries no longer need the cut's state, nor to stay hollow.
    for (const entry of this.changedSinceCut[keyGroup] ?? []) this.letGo(entry);
    this.changedSinceCut[keyGroup] = undefined;
    this.uncommittedAtCut[keyGroup] = undefined;
  }

  /** Drops what the capture kept of an entry: its cut state, and the entry itself if hollow. */
  private letGo(entry: CacheEntry): void {
    if (entry.cutEpoch === this.epoch) {
      entry.cut = undefined;
      entry.cutEpoch = 0;
    }
    if (entry.slot === HOLLOW) this.store.released(entry);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    // A written key group's entries hold no cut state any more (they got none once it was
    // written): of those, only the hollow ones are left to let go.
    for (let keyGroup = 0; keyGroup < this.done.length; keyGroup++) {
      if (this.done[keyGroup] !== 0) continue;
      for (const entry of this.changes.entries[keyGroup] ?? []) {
        if (entry !== undefined) this.letGo(entry);
      }
      for (const entry of this.changedSinceCut[keyGroup] ?? []) this.letGo(entry);
    }
    // Those of its changes, and those it needed.
    for (const entry of this.changes.hollowed) this.letGo(entry);
    this.changes.hollowed.length = 0;
    if (this.store.capture === this) this.store.capture = undefined;
  }

  abandon(): void {
    if (this.released) return;
    // Changed again: the next capture writes them.
    const tracker = this.store.tracker;
    if (tracker !== undefined && this.full) tracker.markAll();
    else if (tracker !== undefined) {
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
