/**
 * The disk store's cache of decoded address state: its entries, and the ring of slots they sit
 * in. The cache evicts by CLOCK (second chance), an approximation of least-recently-used: a hit
 * only sets the entry's `referenced` bit, and eviction sweeps a hand around the ring, sparing (and
 * clearing) referenced entries. A hit thus costs one lookup by id in its table's index, with
 * no reordering.
 */
import type { AddressState } from "@statefun-ts/runtime";
import type { DiskStateTable } from "./disk-table.js";

/** The cached state of one address. */
export interface CacheEntry {
  readonly table: DiskStateTable;
  readonly id: string;
  /** The address hash of its table's seed and its id (address-filter.ts). */
  readonly hash: number;
  readonly keyGroup: number;
  /** The newest state (`undefined`: none). */
  state: AddressState | undefined;
  /** Changed since it was last handed to a batch. */
  dirty: boolean;
  /** Batches holding it that have not committed yet. */
  pending: number;
  /**
   * When its expiry index entry is due (`undefined`: none known, which keeps the field free of a
   * boxed number in entries without one).
   */
  indexedAtMs: number | undefined;
  /** Used since the eviction hand last passed it. */
  referenced: boolean;
  /** The change tracker's epoch in which it was last marked as changed (0: none). */
  markedEpoch: number;
  /** Its index in the changes of that epoch, per key group (see disk-capture.ts). */
  changeIndex: number;
  /** The cut's state, kept for the capture of epoch `cutEpoch` (see disk-capture.ts). */
  cut: AddressState | undefined;
  /** The epoch of the capture `cut` is kept for (0: none). */
  cutEpoch: number;
  /**
   * Its slot in the ring; `HOLLOW` while evicted but kept in its table for a capture, `GONE` once
   * out of its table.
   */
  slot: number;
  /** Hollow, keeping its `state` for the capture in progress (else read from the database). */
  held: boolean;
  /** Its key does not fit LMDB: kept in memory only (disk-store.ts, its invariant 6). */
  readonly memoryOnly: boolean;
}

/** The slots of the cached entries, and the eviction hand. */
export class CacheRing {
  /** The slots; `undefined` for a free one. */
  private slots: (CacheEntry | undefined)[] = [];
  private free: number[] = [];
  private hand = 0;

  /** Entries in the ring. */
  get size(): number {
    return this.slots.length - this.free.length;
  }

  /** Puts an entry into a free slot (its `slot`). */
  add(entry: CacheEntry): void {
    const slot = this.free.pop() ?? this.slots.length;
    this.slots[slot] = entry;
    entry.slot = slot;
  }

  /** Frees an entry's slot; the caller says what the entry's `slot` becomes. */
  delete(entry: CacheEntry): void {
    this.slots[entry.slot] = undefined;
    this.free.push(entry.slot);
  }

  /**
   * Sweeps the hand around the ring until at most `target` entries are left, handing each clean
   * unreferenced entry to `drop` (which must {@link delete} it). Entries that are dirty, pending or
   * kept in memory only are passed over; referenced ones lose their bit.
   */
  sweep(target: number, drop: (entry: CacheEntry) => void): void {
    // Twice round: the first pass may only clear referenced bits.
    for (let steps = 2 * this.slots.length; steps > 0 && this.size > target; steps--) {
      if (this.hand >= this.slots.length) this.hand = 0;
      const entry = this.slots[this.hand++];
      if (entry === undefined || entry.dirty || entry.pending > 0 || entry.memoryOnly) continue;
      if (entry.referenced) {
        entry.referenced = false;
        continue;
      }
      drop(entry);
    }
  }

  /** Entries not yet committed to the database, or never (they may be missing from it). */
  uncommitted(): CacheEntry[] {
    const entries: CacheEntry[] = [];
    for (const entry of this.slots) {
      if (entry !== undefined && (entry.dirty || entry.pending > 0 || entry.memoryOnly)) {
        entries.push(entry);
      }
    }
    return entries;
  }

  /** Empties the ring. */
  clear(): void {
    this.slots = [];
    this.free = [];
    this.hand = 0;
  }
}
