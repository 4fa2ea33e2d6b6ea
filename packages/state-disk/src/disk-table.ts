/**
 * The state of one function type on disk. Addresses are read through the backend's cache (an
 * LRU of decoded cells) and written back in batches; the per-address semantics (expiration,
 * after-invoke refresh, in-place updates) are the runtime's own, shared with the memory backend.
 */
import type { StateSpec, TypedValue } from "@statefun-ts/protocol";
import type {
  IdCursor,
  IdPage,
  StateHooks,
  StateRecord,
  StateTable,
  StateWrite,
  StoredValue,
} from "@statefun-ts/runtime";
import {
  IdIndex,
  compareIds,
  keyGroupOf,
  liveEntries,
  readState,
  removeExpiredValues,
  stateFromRecords,
  writeState,
} from "@statefun-ts/runtime";
import type { CacheEntry } from "./cache-ring.js";
import type { DiskStore } from "./disk-store.js";
import { continuationKey, idOfKey, typeRange, typenameBytes } from "./keys.js";
import { tableSeed } from "./address-filter.js";

/** One function type's state. */
export class DiskStateTable implements StateTable {
  readonly typename: string;
  readonly typenameKey: Uint8Array;
  /** Seeds the hashes of this table's addresses in the store's address filter. */
  readonly seed: number;
  /** This table's entries of the store's cache (hollow ones included), by id. */
  readonly cached = new IdIndex<CacheEntry>();
  /** Addresses holding state. */
  addresses = 0;
  private readonly store: DiskStore;
  private hookEntry: CacheEntry | undefined = undefined;
  private readonly stateHooks: StateHooks = {
    beforeChange: () => {
      const entry = this.hookEntry as CacheEntry;
      this.store.noteChange(entry);
      this.store.markDirty(entry);
    },
    expiresAt: (ms) => this.store.expiries.schedule(this.hookEntry as CacheEntry, ms),
  };

  constructor(typename: string, store: DiskStore) {
    this.typename = typename;
    this.typenameKey = typenameBytes(typename);
    this.seed = tableSeed(typename);
    this.store = store;
    store.addTable(this);
  }

  private hooks(entry: CacheEntry): StateHooks {
    this.hookEntry = entry;
    return this.stateHooks;
  }

  read(
    id: string,
    keyGroup: number,
    specs: readonly StateSpec[],
    nowMs: number,
  ): (TypedValue | undefined)[] {
    const entry = this.store.entry(this, id, keyGroup);
    return readState(entry.state, specs, nowMs, this.hooks(entry));
  }

  write(id: string, keyGroup: number, writes: readonly StateWrite[], nowMs: number): void {
    const entry = this.store.entry(this, id, keyGroup);
    const before = entry.state;
    entry.state = writeState(before, writes, nowMs, this.hooks(entry));
    this.store.counted(this, before, entry.state);
  }

  entries(id: string, keyGroup: number, nowMs: number): StoredValue[] {
    return liveEntries(this.store.entry(this, id, keyGroup).state, nowMs);
  }

  /** Removes the expired values of an address (called by the in-memory expiry sweep). */
  removeExpired(id: string, nowMs: number): { removed: number; nextExpiryMs: number } {
    return this.removeExpiredOf(
      this.store.entry(this, id, keyGroupOf(id, this.store.maxKeyGroups)),
      nowMs,
    );
  }

  /** Removes the expired values of an address by its cache entry (the expiry index's sweep). */
  removeExpiredOf(entry: CacheEntry, nowMs: number): { removed: number; nextExpiryMs: number } {
    const before = entry.state;
    if (before === undefined) return { removed: 0, nextExpiryMs: Infinity };
    const result = removeExpiredValues(before, nowMs);
    if (result.removed > 0) {
      this.hooks(entry).beforeChange();
      entry.state = result.state;
      this.store.counted(this, before, entry.state);
    }
    return result;
  }

  /** Loads a restored record through the cache (for an address cached, or while writes are pending). */
  load(record: StateRecord, keyGroup: number, markChanged: boolean): void {
    const entry = this.store.entry(this, record.id, keyGroup);
    const before = entry.state;
    if (markChanged) this.hooks(entry).beforeChange();
    else this.store.markDirty(entry);
    entry.state = stateFromRecords(record.values);
    for (const value of record.values) this.store.expiries.schedule(entry, value.expiresAtMs);
    this.store.counted(this, before, entry.state);
  }

  listIds(after: IdCursor | undefined, limit: number, nowMs: number): IdPage {
    const ids: string[] = [];
    const uncommitted = this.store.uncommitted().filter((entry) => entry.table === this);
    for (let keyGroup = after?.keyGroup ?? 0; keyGroup < this.store.maxKeyGroups; keyGroup++) {
      const range = typeRange(keyGroup, this.typenameKey);
      // The cursor's key group continues after the cursor (key order: UTF-8 bytes of the ids).
      const continues = after !== undefined && keyGroup === after.keyGroup;
      // A cursor too long for a key starts at a prefix of it: the ids up to it are skipped below.
      const start = continues
        ? continuationKey(keyGroup, this.typenameKey, after.id)
        : { key: range.start, exact: true };
      const committed = this.store.keysIn(start.key, range.end, continues && start.exact);
      const fresh = uncommitted
        .filter(
          (entry) =>
            entry.keyGroup === keyGroup && (!continues || compareIds(entry.id, after.id) > 0),
        )
        .map((entry) => entry.id)
        .sort(compareIds);
      for (const id of mergeIds(committed, this.typenameKey.length, fresh)) {
        if (!start.exact && compareIds(id, (after as IdCursor).id) <= 0) continue;
        const state = this.store.entry(this, id, keyGroup).state;
        if (liveEntries(state, nowMs).length === 0) continue;
        ids.push(id);
        if (ids.length === limit) return { ids, next: { keyGroup, id } };
      }
    }
    return { ids, next: undefined };
  }
}

/** Ids of committed keys and of uncommitted entries, merged in order, each once. */
function* mergeIds(
  committed: Iterable<Uint8Array>,
  typenameLength: number,
  fresh: readonly string[],
): Generator<string> {
  let next = 0;
  for (const key of committed) {
    const id = idOfKey(key, typenameLength);
    while (next < fresh.length && compareIds(fresh[next] as string, id) < 0)
      yield fresh[next++] as string;
    if (next < fresh.length && fresh[next] === id) next++;
    yield id;
  }
  while (next < fresh.length) yield fresh[next++] as string;
}
