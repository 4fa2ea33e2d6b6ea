/**
 * The state backend seam: where persisted values of function instances live. State is scoped to
 * (function type, id, state name) and organised per key group. Reads and writes are synchronous so
 * that an invocation's effects are applied in one step, between event-loop turns, which is what
 * makes a checkpoint's cut consistent.
 */
import type { StateSpec, TypedValue } from "@statefun-ts/protocol";

/** One stored value with its expiration time. */
export interface StoredValue {
  /** The state name. */
  readonly name: string;
  /** The value, with the typename it was written with. */
  readonly value: TypedValue;
  /** Milliseconds since the epoch after which the value is expired; `Infinity` for never. */
  readonly expiresAtMs: number;
}

/** A state change to apply: the spec of the value (for its expiration) and the new value or `undefined` to delete. */
export interface StateWrite {
  readonly spec: StateSpec;
  readonly value: TypedValue | undefined;
}

/** The state of one function type. */
export interface StateTable {
  /** The function type's typename. */
  readonly typename: string;
  /**
   * Reads the values of `specs` for an address, in spec order. Expired and absent values read as
   * `undefined`. Values whose spec expires after invoke get their expiration refreshed.
   */
  read(
    id: string,
    keyGroup: number,
    specs: readonly StateSpec[],
    nowMs: number,
  ): (TypedValue | undefined)[];
  /** Applies writes atomically: a new value starts its after-write or after-invoke period now. */
  write(id: string, keyGroup: number, writes: readonly StateWrite[], nowMs: number): void;
  /** Every live (not expired) value of an address. */
  entries(id: string, keyGroup: number, nowMs: number): StoredValue[];
}

/** Where persisted values live. */
export interface StateBackend {
  /** Backend name for logs and metrics (`memory`, `disk`). */
  readonly kind: string;
  /** The number of key groups the state is organised in. */
  readonly maxKeyGroups: number;
  /** The table of a function type, created on first use. */
  table(typename: string): StateTable;
  /** Releases resources. */
  close(): Promise<void>;
}
