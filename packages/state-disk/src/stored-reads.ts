/**
 * The disk store's reads of an address's state from the database, past the cache: decoded, or as
 * the database stores it. One key is reused for every lookup, written in place by the key
 * encoder (keys.ts), and shared with the store's direct writes.
 */
import { StatefunError } from "@statefun-ts/protocol";
import type { RootDatabase } from "lmdb";
import type { AddressState } from "@statefun-ts/runtime";
import { StateRecordDecoder, decodeStateValues, stateFromRecords } from "@statefun-ts/runtime";
import type { DiskStateTable } from "./disk-table.js";
import { keyFits, keyOf } from "./keys.js";
import type { BulkWrites } from "./write-behind.js";

/** An address to look up, as the key encoder reads it. */
export interface AddressProbe {
  table: DiskStateTable;
  id: string;
  keyGroup: number;
}

/** Reads of address state from the database. */
export class StoredReads {
  /** The key of a lookup, reused. */
  readonly probe: AddressProbe = {
    table: undefined as unknown as DiskStateTable,
    id: "",
    keyGroup: 0,
  };
  readonly decoder = new StateRecordDecoder();
  private readonly root: RootDatabase<Uint8Array, Uint8Array>;
  private readonly bulk: BulkWrites;

  constructor(root: RootDatabase<Uint8Array, Uint8Array>, bulk: BulkWrites) {
    this.root = root;
    this.bulk = bulk;
  }

  /** The state of an address in the database (decoded: its values are copies). */
  state(table: DiskStateTable, id: string, keyGroup: number): AddressState | undefined {
    const bytes = this.read(table, id, keyGroup);
    return bytes === undefined
      ? undefined
      : stateFromRecords(decodeStateValues(bytes, this.decoder));
  }

  /**
   * The values of an address as the database stores them (see `StateValuesEncoder`): a view into
   * LMDB's read buffer, valid until the next read.
   */
  bytes(table: DiskStateTable, id: string, keyGroup: number): Uint8Array | undefined {
    const bytes = this.read(table, id, keyGroup);
    // lmdb-js reuses one buffer for every read, its `length` property set to the value's size:
    // copies that go by the typed array's own length (`set`) need a view of that size.
    return bytes?.subarray(0, bytes.length);
  }

  /** An address's stored values in LMDB's reused read buffer (see {@link bytes}). */
  private read(table: DiskStateTable, id: string, keyGroup: number): Uint8Array | undefined {
    // An address kept in memory only is never in the database.
    if (!keyFits(table.typenameKey, id)) return undefined;
    // It might be in a bulk restore's transaction, not committed yet: its state would be cached
    // as it was before.
    if (this.bulk.pending) {
      throw new StatefunError("illegal-state", "state read while a restore is being written");
    }
    const probe = this.probe;
    probe.table = table;
    probe.id = id;
    probe.keyGroup = keyGroup;
    return this.root.getBinaryFast(keyOf(probe));
  }
}
