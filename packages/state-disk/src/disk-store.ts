/**
 * The LMDB store behind the disk backend's tables: a bounded LRU cache of decoded address state
 * in front of the database, write-behind in batches, and an expiry index in a second database.
 *
 * Invariants:
 *  1. The cache holds the newest state of every address it holds; an entry that is dirty (changed
 *     since its last write) or pending (written but not yet committed) is never evicted, so a
 *     read never sees a value older than the newest write.
 *  2. Batches commit in the order they were started, so a later write of an address always
 *     overwrites an earlier one in the database.
 *  3. The cache holds at most `maxCachedAddresses` clean entries; dirty and pending ones are bounded
 *     by `maxDirtyAddresses` per batch, so the heap stays bounded however large the state grows.
 */
import { rmSync } from "node:fs";
import type { Database, RootDatabase } from "lmdb";
import { open } from "lmdb";
import type { AddressState, Logger, MemoryCapture } from "@statefun-ts/runtime";
import {
  StateRecordDecoder,
  countOf,
  decodeStateValues,
  encodeStateValues,
  errorFields,
  recordsOf,
  stateFromRecords,
} from "@statefun-ts/runtime";
import type { DiskStateTable } from "./disk-table.js";
import { addressKey, expiryKey, parseAddressKey, parseExpiryKey } from "./keys.js";

/** The cached state of one address. */
export interface CacheEntry {
  readonly table: DiskStateTable;
  readonly id: string;
  readonly keyGroup: number;
  readonly cacheKey: string;
  /** The newest state (`undefined`: none). */
  state: AddressState | undefined;
  /** Changed since it was last handed to a batch. */
  dirty: boolean;
  /** Batches holding it that have not committed yet. */
  pending: number;
  /** When its expiry index entry is due (`Infinity`: none known). */
  indexedAtMs: number;
}

/** Options of a {@link DiskStore}. */
export interface DiskStoreOptions {
  readonly directory: string;
  readonly maxKeyGroups: number;
  readonly maxCachedAddresses: number;
  readonly maxDirtyAddresses: number;
  readonly flushIntervalMs: number;
  readonly logger: Logger;
}

const EMPTY = new Uint8Array(0);
const SWEEP_BATCH = 10_000;
/** An eviction pass makes room for this fraction of the cache (1/64). */
const EVICT_FRACTION = 64;

/** The database, the cache and the write-behind. */
export class DiskStore {
  readonly maxKeyGroups: number;
  /** The capture of the checkpoint being written, if any. */
  capture: MemoryCapture | undefined = undefined;
  /** Values stored (values expired but not yet swept count until swept). */
  values = 0;
  private readonly options: DiskStoreOptions;
  private readonly root: RootDatabase<Uint8Array, Uint8Array>;
  private readonly expiry: Database<Uint8Array, Uint8Array>;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly dirty = new Set<CacheEntry>();
  private readonly decoder = new StateRecordDecoder();
  private flushTimer: NodeJS.Timeout | undefined = undefined;
  private closed = false;

  constructor(options: DiskStoreOptions) {
    this.options = options;
    this.maxKeyGroups = options.maxKeyGroups;
    // The database is a working copy: durability comes from checkpoints, so it starts empty and
    // skips fsync; after a crash, recovery rebuilds it from the latest checkpoint.
    rmSync(options.directory, { recursive: true, force: true });
    this.root = open<Uint8Array, Uint8Array>({
      path: options.directory,
      maxDbs: 2,
      noSync: true,
      compression: false,
      encoding: "binary",
      keyEncoding: "binary",
    });
    this.expiry = this.root.openDB<Uint8Array, Uint8Array>({
      name: "expiry",
      encoding: "binary",
      keyEncoding: "binary",
    });
  }

  /** Addresses cached. */
  get cacheSize(): number {
    return this.cache.size;
  }

  /** The cache entry of an address, loading it from the database on a miss. */
  entry(table: DiskStateTable, id: string, keyGroup: number): CacheEntry {
    const cacheKey = `${table.typename}\u0000${id}`;
    let entry = this.cache.get(cacheKey);
    if (entry !== undefined) {
      // Most recently used last.
      this.cache.delete(cacheKey);
      this.cache.set(cacheKey, entry);
      return entry;
    }
    const bytes = this.root.getBinary(addressKey(keyGroup, table.typenameKey, id));
    entry = {
      table,
      id,
      keyGroup,
      cacheKey,
      state:
        bytes === undefined ? undefined : stateFromRecords(decodeStateValues(bytes, this.decoder)),
      dirty: false,
      pending: 0,
      indexedAtMs: Infinity,
    };
    // Make room before inserting, so that the entry being handed out is never the one evicted.
    if (this.cache.size >= this.options.maxCachedAddresses) this.evict();
    this.cache.set(cacheKey, entry);
    return entry;
  }

  /** Counts a change of an address's state from `before` to `after`. */
  counted(
    table: DiskStateTable,
    before: AddressState | undefined,
    after: AddressState | undefined,
  ): void {
    table.addresses += (after === undefined ? 0 : 1) - (before === undefined ? 0 : 1);
    this.values += countOf(after) - countOf(before);
  }

  /**
   * Marks an entry as changing: it is written in a later batch. Called before the change is made,
   * so the batch is never written in the same synchronous step (it would write the old state).
   */
  markDirty(entry: CacheEntry): void {
    if (entry.dirty) return;
    entry.dirty = true;
    this.dirty.add(entry);
    if (this.flushTimer !== undefined) return;
    const delayMs =
      this.dirty.size >= this.options.maxDirtyAddresses ? 0 : this.options.flushIntervalMs;
    this.flushTimer = setTimeout(() => void this.flush(), delayMs).unref();
  }

  /** Notes that an address has a value expiring at `ms`. */
  scheduleExpiry(entry: CacheEntry, ms: number): void {
    if (ms === Infinity || ms >= entry.indexedAtMs) return;
    entry.indexedAtMs = ms;
    void this.expiry.put(
      expiryKey(ms, addressKey(entry.keyGroup, entry.table.typenameKey, entry.id)),
      EMPTY,
    );
  }

  /** Writes every dirty entry in one batch, committed asynchronously (in order). */
  flush(): Promise<unknown> {
    if (this.flushTimer !== undefined) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (this.dirty.size === 0 || this.closed) return this.root.committed;
    const batch = [...this.dirty];
    this.dirty.clear();
    for (const entry of batch) {
      entry.dirty = false;
      entry.pending++;
    }
    const done = this.root.batch(() => {
      for (const entry of batch) {
        const key = addressKey(entry.keyGroup, entry.table.typenameKey, entry.id);
        // Expired values stay until the sweep removes them (it reads them from here).
        if (entry.state === undefined) void this.root.remove(key);
        else void this.root.put(key, encodeStateValues(recordsOf(entry.state, 0)));
      }
    });
    return done.then(
      () => {
        for (const entry of batch) entry.pending--;
        if (this.cache.size > this.options.maxCachedAddresses) this.evict();
      },
      (error: unknown) => {
        // The entries stay pinned: their state is still in the cache.
        this.options.logger.error({ ...errorFields(error) }, "disk state write failed");
      },
    );
  }

  /**
   * Drops clean entries, least recently used first, until the cache is 1/64 below its bound. One
   * pass drops many: every pass walks from the oldest entry, over the slots that earlier deletions
   * left in the map, so a pass per miss would cost time growing with the cache.
   */
  private evict(): void {
    const max = this.options.maxCachedAddresses;
    const target = max - Math.max(1, Math.floor(max / EVICT_FRACTION));
    for (const [key, entry] of this.cache) {
      if (this.cache.size <= target) return;
      if (entry.dirty || entry.pending > 0) continue;
      this.cache.delete(key);
    }
    // Everything left is dirty or pending: it is written soon, and evicted once committed.
  }

  /** Keys in `[start, end)` in the database (committed state), in key order. */
  *keysIn(start: Uint8Array, end: Uint8Array, exclusiveStart: boolean): Generator<Uint8Array> {
    for (const key of this.root.getKeys({ start, end, exclusiveStart })) yield key;
  }

  /** Cached entries not yet committed to the database (they may be missing from it). */
  uncommitted(): CacheEntry[] {
    const entries: CacheEntry[] = [];
    for (const entry of this.cache.values())
      if (entry.dirty || entry.pending > 0) entries.push(entry);
    return entries;
  }

  /**
   * Removes expired values whose index entry is due at `nowMs`, at most a batch of them per call.
   * Returns how many values were removed.
   */
  sweep(nowMs: number, tableOf: (typename: string) => DiskStateTable): number {
    let removed = 0;
    let visited = 0;
    for (const key of this.expiry.getKeys({ end: expiryKey(nowMs + 1, EMPTY) })) {
      if (visited++ >= SWEEP_BATCH) break;
      const { address } = parseExpiryKey(key);
      void this.expiry.remove(key.slice());
      const { typename, id, keyGroup } = parseAddressKey(address);
      const table = tableOf(typename);
      const entry = this.entry(table, id, keyGroup);
      entry.indexedAtMs = Infinity;
      const result = table.removeExpired(id, nowMs);
      removed += result.removed;
      if (result.nextExpiryMs !== Infinity) this.scheduleExpiry(entry, result.nextExpiryMs);
    }
    return removed;
  }

  /** Removes everything (before restoring another checkpoint after a failed restore). */
  clear(): void {
    this.cache.clear();
    this.dirty.clear();
    this.values = 0;
    this.root.clearSync();
    this.expiry.clearSync();
  }

  /** Writes what is dirty, waits for it, and closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    await this.root.committed;
    this.closed = true;
    await this.root.close();
  }
}
