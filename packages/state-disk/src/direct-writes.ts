/**
 * Restored records written straight to the database, past the cache: the address's state and the
 * expiry index entry of its first expiring value.
 */
import type { Database, RootDatabase } from "lmdb";
import type { StateRecord, StateRecordDecoder, StateValuesEncoder } from "@statefun-ts/runtime";
import { decodeStateValues, keyGroupOf } from "@statefun-ts/runtime";
import type { AddressFilter } from "./address-filter.js";
import { addressHash } from "./address-filter.js";
import type { DiskStateTable } from "./disk-table.js";
import type { AddressProbe } from "./stored-reads.js";
import { addressKey, expiryKey, keyFits, keyOf } from "./keys.js";
import type { BulkWrites } from "./write-behind.js";
import { committedBatch, databaseFailed } from "./write-behind.js";

const EMPTY = new Uint8Array(0);

/** What direct writes go into, and what they reuse. */
export interface DirectWrites {
  readonly root: RootDatabase<Uint8Array, Uint8Array>;
  readonly expiry: Database<Uint8Array, Uint8Array>;
  /** The store's address filter (replaced when the store is cleared or resumed). */
  readonly written: () => AddressFilter;
  /** The key of a lookup, written in place by the key encoder at each call. */
  readonly probe: AddressProbe;
  readonly decoder: StateRecordDecoder;
  readonly encoder: StateValuesEncoder;
  /** The database's directory, for errors. */
  readonly directory: string;
  readonly maxKeyGroups: number;
  /** True when no write batch is waiting or in flight. */
  idle(): boolean;
  /** The transactions of a bulk restore. */
  readonly bulk: BulkWrites;
  /** Counts a change of an address from `before` values to `after` (none: no state). */
  counted(table: DiskStateTable, before: number, after: number): void;
}

/**
 * Writes restored records straight to the database in one transaction, without going through
 * the cache: a restore writes every address once, and caching them would only churn the cache.
 * An address that is cached (its cached state must change too), and every record while writes
 * are pending (a direct write must not be overtaken by an older batch), is loaded through the
 * cache instead.
 *
 * With `bulk`, the transaction commits asynchronously, on LMDB's own thread, while the caller
 * decodes the next records: nothing reads the state, nor restores these addresses again, until
 * the store's flush has waited for it (see `StateBackend.restore`). An address written earlier is
 * then read as committed.
 */
export function restoreRecords(
  target: DirectWrites,
  records: readonly StateRecord[],
  tableOf: (typename: string) => DiskStateTable,
  markChanged: boolean,
  bulk: boolean,
): void {
  const direct = target.idle();
  const deferred = bulk && direct;
  if (bulk) target.bulk.throwIfFailed();
  const write = (): void => {
    for (const record of records) {
      const table = tableOf(record.functionType);
      const keyGroup = keyGroupOf(record.id, target.maxKeyGroups);
      // One to mark as changed goes through its entry, which the tracker marks.
      const hash =
        direct && !markChanged && keyFits(table.typenameKey, record.id)
          ? addressHash(table.seed, record.id)
          : undefined;
      if (hash === undefined || table.cached.get(hash, record.id) !== undefined) {
        table.load(record, keyGroup, markChanged);
        continue;
      }
      const { before, after } = writeRecord(target, table, keyGroup, hash, record, deferred);
      target.counted(table, before, after);
    }
  };
  try {
    if (deferred) target.bulk.add(committedBatch(target.root, write));
    else if (direct) target.root.transactionSync(write);
    else write();
  } catch (error) {
    throw databaseFailed(target.directory, "restoring state", error);
  }
}

/**
 * Writes one restored record of an address that is not cached, inside a transaction: as a batch
 * committed later (`deferred`) or at once. Returns the address's count of values before and after.
 */
function writeRecord(
  target: DirectWrites,
  table: DiskStateTable,
  keyGroup: number,
  hash: number,
  record: StateRecord,
  deferred: boolean,
): { before: number; after: number } {
  const { root, expiry, probe } = target;
  const written = target.written();
  probe.table = table;
  probe.id = record.id;
  probe.keyGroup = keyGroup;
  const key = keyOf(probe);
  const old = written.mayContain(hash) ? root.getBinary(key) : undefined;
  const before = old === undefined ? 0 : decodeStateValues(old, target.decoder).length;
  const after = record.values.length;
  if (after === 0) {
    if (old === undefined) {
      // Nothing to remove.
    } else if (deferred) void root.remove(key);
    else root.removeSync(key);
  } else {
    written.add(hash);
    const value = record.encodedValues ?? target.encoder.records(record.values);
    if (deferred) void root.put(key, value);
    else root.putSync(key, value);
    let first = Infinity;
    for (const stored of record.values) first = Math.min(first, stored.expiresAtMs);
    if (first !== Infinity) {
      const index = expiryKey(first, addressKey(keyGroup, table.typenameKey, record.id));
      if (deferred) void expiry.put(index, EMPTY);
      else expiry.putSync(index, EMPTY);
    }
  }
  return { before, after };
}
