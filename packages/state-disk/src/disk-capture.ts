/**
 * Change tracking and copy-on-write capture for the disk backend, by cache entry. The tracker
 * keeps, per key group, the cache entries of the addresses changed since the last capture; an
 * entry remembers the epoch in which it was last marked, so that marking it again, and the
 * capture's check before a change, are field reads instead of lookups by id.
 *
 * A capture takes the tracker's entries at the cut (no value copied). Until its key group is
 * written, an entry of the capture that is about to change keeps a copy of the cut's state on
 * itself. An entry the capture or the tracker still needs is never dropped from the store's
 * table: the cache only hollows it (see disk-store.ts), so that an address has one entry for as
 * long as a checkpoint may write it.
 *
 * Invariants:
 *  1. An entry is in the tracker's lists at most once per epoch: it is pushed when its
 *     `markedEpoch` changes to the tracker's epoch, and only then.
 *  2. While a capture is in progress, an entry of its epoch whose key group is still to be written
 *     either is unchanged since the cut (its `state` is the cut's) or holds the cut's state in
 *     `cut` (with `cutEpoch` the capture's epoch).
 */
import { StatefunError } from "@statefun-ts/protocol";
import type { StateChangeCapture, StateRecordSink } from "@statefun-ts/runtime";
import { copyState } from "@statefun-ts/runtime";
import type { CacheEntry } from "./disk-store.js";

/** Epochs start at 1: an entry never marked has epoch 0. */
let nextEpoch = 1;

/** The entries changed since the last capture, per key group. */
export class EntryTracker {
  /** Changes since the last capture are of this epoch. */
  epoch = nextEpoch++;
  private changed: (CacheEntry[] | undefined)[];
  private readonly maxKeyGroups: number;

  constructor(maxKeyGroups: number) {
    this.maxKeyGroups = maxKeyGroups;
    this.changed = new Array<CacheEntry[] | undefined>(maxKeyGroups).fill(undefined);
  }

  /** Marks an entry as changed in this epoch (once: invariant 1). */
  mark(entry: CacheEntry): void {
    if (entry.markedEpoch === this.epoch) return;
    entry.markedEpoch = this.epoch;
    (this.changed[entry.keyGroup] ??= []).push(entry);
  }

  /** True when an address changed since the last capture. */
  hasChanges(): boolean {
    return this.changed.some((entries) => entries !== undefined);
  }

  /** Takes this epoch's entries; a new epoch begins. */
  drain(): { readonly epoch: number; readonly entries: (CacheEntry[] | undefined)[] } {
    const drained = { epoch: this.epoch, entries: this.changed };
    this.epoch = nextEpoch++;
    this.changed = new Array<CacheEntry[] | undefined>(this.maxKeyGroups).fill(undefined);
    return drained;
  }
}

/** What a capture needs of the store. */
export interface CaptureStore {
  tracker: EntryTracker | undefined;
  capture: DiskCapture | undefined;
  /** The state of an entry the cache hollowed without keeping it: the database's. */
  committedStateOf(entry: CacheEntry): CacheEntry["state"];
  /** Called when a hollow entry is needed by neither the tracker nor a capture any more. */
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
  private entries: (CacheEntry[] | undefined)[];
  /** Key groups written (1) or still to write (0). */
  private readonly done: Uint8Array;
  private released = false;

  private constructor(
    store: CaptureStore,
    cutMs: number,
    drained: ReturnType<EntryTracker["drain"]>,
  ) {
    this.store = store;
    this.cutMs = cutMs;
    this.epoch = drained.epoch;
    this.entries = drained.entries;
    this.done = new Uint8Array(drained.entries.length);
  }

  /**
   * Starts a capture of the changes `store`'s tracker tracked since the last one (none while
   * changes are not tracked).
   *
   * @throws StatefunError `illegal-state` while another capture is in progress.
   */
  static start(store: CaptureStore, cutMs: number): DiskCapture {
    if (store.capture !== undefined) {
      throw new StatefunError("illegal-state", "a state capture is already in progress");
    }
    const drained = store.tracker?.drain() ?? { epoch: -1, entries: [] };
    const capture = new DiskCapture(store, cutMs, drained);
    store.capture = capture;
    return capture;
  }

  /**
   * True while the capture holds this entry (until it is released: an abandoned capture marks its
   * entries again) and the entry is unchanged since the cut.
   */
  holds(entry: CacheEntry): boolean {
    return entry.markedEpoch === this.epoch && !this.released;
  }

  /** True while the capture has still to write this entry's current state (the cut's). */
  needsState(entry: CacheEntry): boolean {
    return this.holds(entry) && this.done[entry.keyGroup] === 0;
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
    this.entries.forEach((entries, keyGroup) => {
      if (entries !== undefined) groups.push(keyGroup);
    });
    return groups;
  }

  write(keyGroup: number, sink: StateRecordSink): void {
    if (this.released) throw new StatefunError("illegal-state", "the state capture was released");
    const entries = this.entries[keyGroup];
    if (entries === undefined || this.done[keyGroup] !== 0) return;
    this.done[keyGroup] = 1;
    for (const entry of entries) {
      let state: CacheEntry["state"];
      if (entry.cutEpoch === this.epoch) {
        state = entry.cut;
        entry.cut = undefined;
        entry.cutEpoch = 0;
      } else if (entry.slot >= 0) {
        state = entry.state;
      } else if (entry.held) {
        state = entry.state;
        this.store.unhold(entry);
      } else {
        state = this.store.committedStateOf(entry);
      }
      sink.addAddress(entry.table.typename, entry.id, state, this.cutMs);
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    const tracked = this.store.tracker?.epoch;
    for (const entries of this.entries) {
      if (entries === undefined) continue;
      for (const entry of entries) {
        if (entry.cutEpoch === this.epoch) {
          entry.cut = undefined;
          entry.cutEpoch = 0;
        }
        // A hollow entry that nothing needs any more leaves its table.
        if (entry.slot < 0) {
          this.store.unhold(entry);
          if (entry.markedEpoch !== tracked) this.store.released(entry);
        }
      }
    }
    this.entries = [];
    if (this.store.capture === this) this.store.capture = undefined;
  }

  abandon(): void {
    if (this.released) return;
    // Changed again: the next capture writes them.
    const tracker = this.store.tracker;
    if (tracker !== undefined) {
      for (const entries of this.entries) for (const entry of entries ?? []) tracker.mark(entry);
    }
    this.release();
  }
}
