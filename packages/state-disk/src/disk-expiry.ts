/**
 * Expiration in the disk store: an index of due times in a database of its own, so that the
 * background sweep finds the addresses whose values have expired without a scan of the state.
 *
 * An index entry's key is the due time followed by the address's key (keys.ts); it is put and
 * removed in the write-behind's batches, in order with the state it indexes (a restore written
 * straight into the database puts its own, see direct-writes.ts). A cache entry notes the
 * earliest due time it has an index entry for (`indexedAtMs`), so that a value expiring later adds
 * none. Addresses kept in memory only (disk-store.ts, its invariant 6) are scheduled in memory
 * instead, and swept with the others.
 */
import type { Database } from "lmdb";
import type { AddressState } from "@statefun-ts/runtime";
import { ExpirySweeper, StateCell } from "@statefun-ts/runtime";
import type { CacheEntry } from "./cache-ring.js";
import type { DiskStateTable } from "./disk-table.js";
import { addressKey, expiryKey, parseAddressKey, parseExpiryKey } from "./keys.js";

/** Index entries a sweep takes at most. */
const SWEEP_BATCH = 10_000;
const EMPTY = new Uint8Array(0);

/** True when a value of the state expires (its record may not go into a checkpoint as it is). */
export function expires(state: AddressState): boolean {
  if (state instanceof StateCell) return state.expiresAtMs !== Infinity;
  return state.some((cell) => cell.expiresAtMs !== Infinity);
}

/** What a {@link DiskExpiry} works with. */
export interface DiskExpiryOptions {
  /** The index: keys only. */
  readonly expiry: Database<Uint8Array, Uint8Array>;
  /** Puts (or removes) an index entry in the write-behind's next batch. */
  readonly changeIndex: (key: Uint8Array, put: boolean) => void;
}

/** The expiry index of a disk store; see the file's comment. */
export class DiskExpiry {
  private readonly expiry: Database<Uint8Array, Uint8Array>;
  private readonly changeIndex: (key: Uint8Array, put: boolean) => void;
  /** The expirations of addresses kept in memory only. */
  private readonly memory = new ExpirySweeper();

  constructor(options: DiskExpiryOptions) {
    this.expiry = options.expiry;
    this.changeIndex = options.changeIndex;
  }

  /** Notes that an address has a value expiring at `ms`. */
  schedule(entry: CacheEntry, ms: number): void {
    if (ms === Infinity || ms >= (entry.indexedAtMs ?? Infinity)) return;
    if (entry.memoryOnly) {
      this.memory.note(entry.table, entry.id, ms);
      return;
    }
    entry.indexedAtMs = ms;
    const key = addressKey(entry.keyGroup, entry.table.typenameKey, entry.id);
    this.changeIndex(expiryKey(ms, key), true);
  }

  /**
   * Removes expired values whose index entry is due at `nowMs`, at most a batch of them per call,
   * each address through its cache entry (`entryOf`). Returns how many values were removed.
   */
  sweep(
    nowMs: number,
    tableOf: (typename: string) => DiskStateTable,
    entryOf: (table: DiskStateTable, id: string, keyGroup: number) => CacheEntry,
  ): number {
    let removed = this.memory.sweep(nowMs);
    let visited = 0;
    for (const key of this.expiry.getKeys({ end: expiryKey(nowMs + 1, EMPTY) })) {
      if (visited++ >= SWEEP_BATCH) break;
      const { address } = parseExpiryKey(key);
      this.changeIndex(key.slice(), false);
      const { typename, id, keyGroup } = parseAddressKey(address);
      const table = tableOf(typename);
      const entry = entryOf(table, id, keyGroup);
      entry.indexedAtMs = undefined;
      const result = table.removeExpiredOf(entry, nowMs);
      removed += result.removed;
      if (result.nextExpiryMs !== Infinity) this.schedule(entry, result.nextExpiryMs);
    }
    return removed;
  }

  /** Forgets the expirations scheduled in memory (the index is cleared with the database). */
  clear(): void {
    this.memory.clear();
  }
}
