/**
 * Change tracking and copy-on-write capture for the in-memory backend. Tracking records, per
 * function type and key group, the ids that changed. A capture takes those sets at the cut (no
 * value copied) and, until a key group is read, preserves the cut's cells of any captured address
 * that changes again — so checkpoint writing runs off the hot path while processing continues.
 */
import { StatefunError } from "@statefun-ts/protocol";
import type { StateRecordSink } from "../checkpoint/model.js";
import type { StateChangeCapture } from "./backend.js";
import type { AddressState } from "./address-state.js";
import { copyState } from "./address-state.js";

/** What a capture needs from a table. */
export interface CapturedTable {
  readonly typename: string;
  /** Live state of an address. */
  cells(id: string, keyGroup: number): AddressState | undefined;
  /** Marks an address as changed again (for an abandoned capture). */
  markChanged(keyGroup: number, id: string): void;
}

/** A capture in progress. */
export class MemoryCapture implements StateChangeCapture {
  private readonly cutMs: number;
  /** Captured ids per key group, per table. */
  private readonly captured: Map<number, Map<CapturedTable, Set<string>>>;
  /** Cut-time cells of captured addresses changed since (null: the address had no state). */
  private readonly preserved = new Map<CapturedTable, Map<string, AddressState | null>>();
  /** Key groups already read: their addresses no longer need preserving. */
  private readonly done = new Set<number>();
  private readonly onRelease: () => void;
  private released = false;

  constructor(
    cutMs: number,
    captured: Map<number, Map<CapturedTable, Set<string>>>,
    onRelease: () => void,
  ) {
    this.cutMs = cutMs;
    this.captured = captured;
    this.onRelease = onRelease;
  }

  /** Called before an address's cells change: keeps the cut's version if still needed. */
  beforeChange(
    table: CapturedTable,
    keyGroup: number,
    id: string,
    cells: AddressState | undefined,
  ): void {
    if (this.done.has(keyGroup)) return;
    const ids = this.captured.get(keyGroup)?.get(table);
    if (ids === undefined || !ids.has(id)) return;
    let kept = this.preserved.get(table);
    if (kept === undefined) {
      kept = new Map();
      this.preserved.set(table, kept);
    }
    // Changed in place from now on: a copy.
    if (!kept.has(id)) kept.set(id, cells === undefined ? null : copyState(cells));
  }

  keyGroups(): number[] {
    return [...this.captured.keys()].sort((a, b) => a - b);
  }

  write(keyGroup: number, sink: StateRecordSink): void {
    if (this.released) throw new StatefunError("illegal-state", "the state capture was released");
    const tables = this.captured.get(keyGroup);
    if (tables === undefined || this.done.has(keyGroup)) return;
    for (const [table, ids] of tables) {
      const typename = table.typename;
      const kept = this.preserved.get(table);
      for (const id of ids) {
        let cells: AddressState | null | undefined;
        if (kept !== undefined && kept.has(id)) {
          cells = kept.get(id);
          kept.delete(id);
        } else {
          cells = table.cells(id, keyGroup);
        }
        sink.addAddress(typename, id, cells ?? undefined, this.cutMs);
      }
    }
    this.done.add(keyGroup);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.captured.clear();
    this.preserved.clear();
    this.onRelease();
  }

  abandon(): void {
    if (this.released) return;
    for (const [keyGroup, tables] of this.captured) {
      for (const [table, ids] of tables) for (const id of ids) table.markChanged(keyGroup, id);
    }
    this.release();
  }
}

/** Epochs of all trackers come from one sequence, so that no two trackers share one. */
let nextEpoch = 1;

/** Ids changed since the last capture, per key group, for one table. */
export class ChangeTracker {
  /**
   * Changes since the last capture (or since the tracker was made) are of this epoch. A backend
   * notes on an object of the address (the memory backend's first cell) the epoch in which it last
   * marked the address, and skips both marking it and the capture's copy-on-write check while the
   * epoch is still the same.
   */
  epoch = nextEpoch++;
  private readonly changed: (Set<string> | undefined)[];

  constructor(maxKeyGroups: number) {
    this.changed = new Array<Set<string> | undefined>(maxKeyGroups).fill(undefined);
  }

  mark(keyGroup: number, id: string): void {
    (this.changed[keyGroup] ??= new Set()).add(id);
  }

  /** True when an id changed since the last capture. */
  hasChanges(): boolean {
    return this.changed.some((ids) => ids !== undefined && ids.size > 0);
  }

  /** Moves the changed ids into `into` (key group → table → ids) and forgets them: a new epoch. */
  drain(table: CapturedTable, into: Map<number, Map<CapturedTable, Set<string>>>): void {
    this.epoch = nextEpoch++;
    for (let keyGroup = 0; keyGroup < this.changed.length; keyGroup++) {
      const ids = this.changed[keyGroup];
      if (ids === undefined) continue;
      this.changed[keyGroup] = undefined;
      let tables = into.get(keyGroup);
      if (tables === undefined) {
        tables = new Map();
        into.set(keyGroup, tables);
      }
      tables.set(table, ids);
    }
  }
}

/** Where a backend keeps its capture in progress: one at a time. */
export interface CaptureHolder {
  capture: MemoryCapture | undefined;
}

/** A table whose changes are tracked. */
export interface TrackedTable extends CapturedTable {
  readonly tracker: ChangeTracker | undefined;
}

/**
 * Notes that an address of `table` is about to change: the capture in progress (held by `holder`)
 * keeps the cut's state if it needs it, and the table's tracker marks the address. `marker` is an
 * object of the address that remembers the epoch of its last mark (see {@link ChangeTracker.epoch});
 * a change in the same epoch as the last mark does nothing more.
 */
export function noteChange(
  holder: CaptureHolder,
  table: TrackedTable,
  keyGroup: number,
  id: string,
  state: AddressState | undefined,
  marker: { markedEpoch: number } | undefined,
): void {
  const tracker = table.tracker;
  // Changed before in this epoch: marked already, and the capture in progress (whose cut began
  // the epoch) kept the cut's state then if it needed it.
  if (tracker !== undefined && marker !== undefined && marker.markedEpoch === tracker.epoch) return;
  holder.capture?.beforeChange(table, keyGroup, id, state);
  if (tracker !== undefined) {
    tracker.mark(keyGroup, id);
    if (marker !== undefined) marker.markedEpoch = tracker.epoch;
  }
}

/**
 * Starts a capture of the changes `tables` tracked since the last one, held by `holder` until it
 * is released.
 *
 * @throws StatefunError `illegal-state` while another capture is in progress.
 */
export function startCapture(
  holder: CaptureHolder,
  tables: Iterable<TrackedTable>,
  cutMs: number,
): MemoryCapture {
  if (holder.capture !== undefined) {
    throw new StatefunError("illegal-state", "a state capture is already in progress");
  }
  const captured = new Map<number, Map<CapturedTable, Set<string>>>();
  for (const table of tables) table.tracker?.drain(table, captured);
  const capture = new MemoryCapture(cutMs, captured, () => {
    if (holder.capture === capture) holder.capture = undefined;
  });
  holder.capture = capture;
  return capture;
}
