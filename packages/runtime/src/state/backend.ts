/**
 * The state backend seam: where persisted values of function instances live. State is scoped to
 * (function type, id, state name) and organised per key group. Reads and writes are synchronous so
 * that an invocation's effects are applied in one step, between event-loop turns, which is what
 * makes a checkpoint's cut consistent.
 */
import type { StateSpec, StatefunError, TypedValue } from "@statefun-ts/protocol";
import type { StateRecord, StateRecordSink } from "../checkpoint/model.js";

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

/**
 * The state changes of a checkpoint, captured at its cut. Capturing is cheap (no value is copied);
 * until {@link release}, the backend keeps the cut's version of every captured address that
 * changes afterwards, so the records read here are exactly the state at the cut.
 */
export interface StateChangeCapture {
  /**
   * True when the capture holds every address's state, not only the changes (a backend that
   * stopped tracking changes one by one): its checkpoint then starts a new chain.
   */
  readonly full?: boolean;
  /** Key groups with changes since the previous capture, in increasing order. */
  keyGroups(): number[];
  /**
   * Hands the records of one key group as of the cut to `sink`: one per changed address, with its
   * values and the cut's time (values that had expired by then are left out); an address whose
   * state is gone has no values. Each key group may be written once.
   */
  write(keyGroup: number, sink: StateRecordSink): void;
  /** Ends the capture after its checkpoint was written. */
  release(): void;
  /**
   * Ends the capture of a checkpoint that was not written: its addresses count as changed again,
   * so the next capture writes them.
   */
  abandon(): void;
}

/** A position in the listing of a function type's ids: ids come in (key group, id) order. */
export interface IdCursor {
  readonly keyGroup: number;
  readonly id: string;
}

/** One page of ids. */
export interface IdPage {
  /** Ids holding live state, in (key group, id) order. */
  readonly ids: readonly string[];
  /** Where the next page starts, or `undefined` after the last page. */
  readonly next: IdCursor | undefined;
}

/** A checkpoint file of the checkpoint storage: its id and its name there. */
export interface CheckpointRef {
  readonly id: number;
  readonly name: string;
}

/** A figure a backend reports about itself, exported as a Prometheus metric at each scrape. */
export interface BackendFigure {
  /** The metric's name after the prefix, in `snake_case`; a counter's ends in `_total`. */
  readonly name: string;
  readonly help: string;
  /** A counter only ever grows. */
  readonly kind: "gauge" | "counter";
  readonly value: number;
}

/** Where persisted values live. */
export interface StateBackend {
  /** Backend name for logs and metrics (`memory`, `disk`). */
  readonly kind: string;
  /** The number of key groups the state is organised in. */
  readonly maxKeyGroups: number;
  /** The table of a function type, created on first use. */
  table(typename: string): StateTable;
  /** Starts remembering which addresses change, for incremental checkpoints. */
  trackChanges(): void;
  /**
   * Captures the changes since the previous capture (or since tracking started).
   *
   * @param cutMs - the time of the cut; values expired by then are left out.
   * @throws StatefunError `illegal-state` while an earlier capture is not released.
   */
  captureChanges(cutMs: number): StateChangeCapture;
  /**
   * Loads records (from a checkpoint) as they are, replacing the addresses' state; an empty
   * `values` deletes it. Key groups are recomputed from the ids. Restored addresses count as
   * changed only when `markChanged` is set (so that the next capture writes them again).
   *
   * With `bulk`, the caller promises to read nothing, and to restore no address again, until
   * {@link whenWritten} resolves: a backend that writes to disk may then go on writing while the
   * caller decodes what comes next, and reports a failure of those writes from `whenWritten`, or
   * from a later bulk `restore`, which then adds nothing.
   */
  restore(
    records: Iterable<StateRecord>,
    options: { readonly markChanged: boolean; readonly bulk?: boolean },
  ): void;
  /**
   * Resolves once writes made so far no longer hold memory and can be read (a backend that writes
   * behind, to disk, lets restore pace itself with this); at once for backends that keep state in
   * memory. Rejects when a bulk restore's writes failed.
   */
  whenWritten(): Promise<void>;
  /** Removes all state (before restoring another checkpoint after a failed restore). */
  clear(): void;
  /**
   * Recovery is about to restore `checkpoint` (`undefined`: none, as for a fresh start, a
   * savepoint or no checkpointing). True when the backend still holds exactly that checkpoint's
   * state, kept by a clean stop (see {@link close}), so that recovery need not restore the state;
   * otherwise the backend drops what it kept. Only the first call of a start can return true.
   * A backend that keeps nothing need not implement it.
   */
  resume?(checkpoint: CheckpointRef | undefined): boolean;
  /** True when state changed since the last capture: a change no checkpoint holds yet. */
  changedSinceCapture?(): boolean;
  /**
   * Every address's state in one key group, values expired by `nowMs` left out, read without
   * disturbing what the backend caches; for writing a full base from the backend while nothing
   * changes.
   */
  keyGroupRecords(keyGroup: number, nowMs: number): StateRecord[];
  /**
   * Removes values that have expired by `nowMs` (they already read as absent); called
   * periodically. Returns how many values were removed.
   */
  sweepExpired(nowMs: number): number;
  /**
   * Function types holding state, with how many addresses hold state (values expired but not
   * yet swept may still count, for about a sweep interval).
   */
  functionTypes(): { readonly typename: string; readonly addresses: number }[];
  /**
   * Up to `limit` ids of `typename` with live state, after `after` in (key group, id) order.
   * Pages stay correct while writes continue: an id is listed at most once; ids added behind the
   * cursor are not listed.
   */
  listIds(typename: string, after: IdCursor | undefined, limit: number, nowMs: number): IdPage;
  /** Values stored (values expired but not yet swept count until swept). */
  liveValues(): number;
  /**
   * Registers `listener`, called once if the backend cannot go on safely (a backend with state on
   * disk whose writes keep failing, holding more and more of it in memory). The runtime then fails
   * (see `Runtime.whenFailed`) and should be restarted, from its last checkpoint. A backend that
   * cannot fail need not implement it.
   */
  onFailure?(listener: (error: StatefunError) => void): void;
  /**
   * The backend's own figures, read at each scrape of the metrics (the same names, kinds and
   * order every time). A backend without any need not implement it.
   */
  figures?(): readonly BackendFigure[];
  /**
   * Releases resources. `keep` is given after a clean stop whose last checkpoint holds exactly
   * the backend's state: a backend with state on disk may keep it for {@link resume}.
   */
  close(keep?: CheckpointRef): Promise<void>;
}
