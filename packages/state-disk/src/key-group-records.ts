/**
 * Reading one key group's state from the disk store without caching it: the database's, with
 * cached entries not yet committed in their place (for writing a full base from the backend).
 */
import type { RootDatabase } from "lmdb";
import type { StateRecord, StateRecordDecoder, StateValueRecord } from "@statefun-ts/runtime";
import { bytesEqualAt, decodeStateValues, liveEntries, recordValueOf } from "@statefun-ts/runtime";
import type { CacheEntry } from "./cache-ring.js";
import { idOfKey, parseAddressKey } from "./keys.js";

/**
 * Calls `each` with every address in one key group of the database, in key order: its function
 * type, its id and its stored values, a view into LMDB's read buffer that is valid during the
 * call only.
 */
export function eachStored(
  root: RootDatabase<Uint8Array, Uint8Array>,
  keyGroup: number,
  each: (typename: string, id: string, value: Uint8Array) => void,
): void {
  const start = Uint8Array.of(keyGroup >>> 8, keyGroup & 0xff);
  const end = Uint8Array.of((keyGroup + 1) >>> 8, (keyGroup + 1) & 0xff);
  let typenameKey: Uint8Array = new Uint8Array(0);
  let typename = "";
  for (const { key, value } of root.getRange({ start, end })) {
    // The main database also names the expiry database, by a key without the zero byte.
    const zero = key.indexOf(0, 2);
    if (zero < 0) continue;
    // Keys of one function type follow each other: its name is decoded once.
    if (zero - 2 !== typenameKey.length || !bytesEqualAt(key, 2, typenameKey)) {
      typenameKey = key.slice(2, zero);
      typename = parseAddressKey(key).typename;
    }
    each(typename, idOfKey(key, typenameKey.length), value);
  }
}

/**
 * Every address's state in one key group (values expired by `nowMs` left out): the database's,
 * with `uncommitted` entries (of any key group) in their place.
 */
export function keyGroupRecords(
  root: RootDatabase<Uint8Array, Uint8Array>,
  decoder: StateRecordDecoder,
  uncommitted: readonly CacheEntry[],
  keyGroup: number,
  nowMs: number,
): StateRecord[] {
  const live = (values: readonly StateValueRecord[]): StateValueRecord[] =>
    values.filter((value) => value.expiresAtMs > nowMs);
  const fresh = new Map<string, CacheEntry>();
  for (const entry of uncommitted) {
    if (entry.keyGroup === keyGroup) fresh.set(`${entry.table.typename}\u0000${entry.id}`, entry);
  }
  const records: StateRecord[] = [];
  const add = (functionType: string, id: string, values: StateValueRecord[]): void => {
    if (values.length > 0) records.push({ functionType, id, values });
  };
  eachStored(root, keyGroup, (typename, id, value) => {
    if (fresh.has(`${typename}\u0000${id}`)) return;
    // Copies: the values must outlive the read buffer.
    const values = decodeStateValues(value, decoder).map((stored) => ({
      ...stored,
      value: stored.value.slice(),
    }));
    add(typename, id, live(values));
  });
  for (const entry of fresh.values()) {
    add(entry.table.typename, entry.id, liveEntries(entry.state, nowMs).map(recordValueOf));
  }
  return records;
}
