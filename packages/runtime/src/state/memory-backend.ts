/**
 * The in-memory state backend (the default): per function type and key group, a map from id to
 * the address's state cells, updated in place. With change tracking on, every change marks its
 * address, and a capture at a checkpoint's cut preserves the cut's version of addresses that
 * change again before the checkpoint is written (see memory-capture.ts). Expired values read as
 * absent at once and are removed by the expiry sweep (expiry-sweeper.ts).
 */
import type { StateSpec, TypedValue } from "@statefun-ts/protocol";
import type { StateRecord } from "../checkpoint/model.js";
import { DEFAULT_MAX_KEY_GROUPS, checkMaxKeyGroups, keyGroupOf } from "../core/key-group.js";
import type { AddressState, StateHooks } from "./address-state.js";
import {
  cellsOf,
  compareIds,
  countOf,
  liveEntries,
  readState,
  recordValueOf,
  removeExpiredValues,
  stateFromRecords,
  writeState,
} from "./address-state.js";
import type {
  IdCursor,
  IdPage,
  StateBackend,
  StateTable,
  StateWrite,
  StoredValue,
} from "./backend.js";
import type { SweptTable } from "./expiry-sweeper.js";
import { ExpirySweeper } from "./expiry-sweeper.js";
import type { CapturedTable } from "./memory-capture.js";
import type { MemoryCapture } from "./memory-capture.js";
import { ChangeTracker, noteChange, startCapture } from "./memory-capture.js";
import { StateCell } from "./state-cell.js";

/** What the tables of a backend share: the capture in progress and the count of values. */
interface Shared {
  capture: MemoryCapture | undefined;
  /** Values stored, all tables. */
  values: number;
  readonly sweeper: ExpirySweeper;
}

class MemoryStateTable implements StateTable, CapturedTable, SweptTable {
  readonly typename: string;
  /** State per key group; a group's map exists once something was written to it. */
  readonly groups: (Map<string, AddressState> | undefined)[];
  /** Set while changes are tracked. */
  tracker: ChangeTracker | undefined = undefined;
  private readonly shared: Shared;
  private readonly maxKeyGroups: number;

  constructor(typename: string, maxKeyGroups: number, shared: Shared) {
    this.typename = typename;
    this.groups = new Array<Map<string, AddressState> | undefined>(maxKeyGroups).fill(undefined);
    this.shared = shared;
    this.maxKeyGroups = maxKeyGroups;
  }

  cells(id: string, keyGroup: number): AddressState | undefined {
    return this.groups[keyGroup]?.get(id);
  }

  markChanged(keyGroup: number, id: string): void {
    this.tracker?.mark(keyGroup, id);
  }

  // One hooks object per table, pointed at the address being changed: calls are synchronous and
  // never nested, and this keeps allocations off the hot path.
  private hookId = "";
  private hookKeyGroup = 0;
  private hookState: AddressState | undefined = undefined;
  private readonly stateHooks: StateHooks = {
    beforeChange: () => {
      const state = this.hookState;
      // The first cell remembers the epoch of the address's last mark.
      const first = state === undefined ? undefined : state instanceof StateCell ? state : state[0];
      noteChange(this.shared, this, this.hookKeyGroup, this.hookId, state, first);
    },
    expiresAt: (ms) => this.shared.sweeper.note(this, this.hookId, ms),
  };

  private hooks(id: string, keyGroup: number, state: AddressState | undefined): StateHooks {
    this.hookId = id;
    this.hookKeyGroup = keyGroup;
    this.hookState = state;
    return this.stateHooks;
  }

  private put(id: string, keyGroup: number, state: AddressState | undefined): void {
    const group = this.groups[keyGroup];
    this.shared.values += countOf(state) - countOf(group?.get(id));
    if (state === undefined) {
      group?.delete(id);
      return;
    }
    (this.groups[keyGroup] ??= new Map()).set(id, state);
  }

  /** Addresses holding state. */
  addresses(): number {
    let count = 0;
    for (const group of this.groups) count += group?.size ?? 0;
    return count;
  }

  listIds(after: IdCursor | undefined, limit: number, nowMs: number): IdPage {
    const ids: string[] = [];
    for (let keyGroup = after?.keyGroup ?? 0; keyGroup < this.groups.length; keyGroup++) {
      const group = this.groups[keyGroup];
      if (group === undefined) continue;
      // Maps keep insertion order: sort (a copy of one key group's ids) for a stable order.
      const sorted = [...group.keys()].sort(compareIds);
      let start = 0;
      if (after !== undefined && keyGroup === after.keyGroup) {
        while (start < sorted.length && compareIds(sorted[start] as string, after.id) <= 0) start++;
      }
      for (let i = start; i < sorted.length; i++) {
        const id = sorted[i] as string;
        if (!cellsOf(group.get(id)).some((cell) => cell.isLive(nowMs))) continue;
        ids.push(id);
        if (ids.length === limit) {
          const more =
            i + 1 < sorted.length ||
            this.groups.slice(keyGroup + 1).some((g) => (g?.size ?? 0) > 0);
          return { ids, next: more ? { keyGroup, id } : undefined };
        }
      }
    }
    return { ids, next: undefined };
  }

  removeExpired(id: string, nowMs: number): { removed: number; nextExpiryMs: number } {
    const keyGroup = keyGroupOf(id, this.maxKeyGroups);
    const state = this.groups[keyGroup]?.get(id);
    if (state === undefined) return { removed: 0, nextExpiryMs: Infinity };
    const result = removeExpiredValues(state, nowMs);
    if (result.removed > 0) {
      this.hooks(id, keyGroup, state).beforeChange();
      this.put(id, keyGroup, result.state);
    }
    return result;
  }

  read(
    id: string,
    keyGroup: number,
    specs: readonly StateSpec[],
    nowMs: number,
  ): (TypedValue | undefined)[] {
    const state = this.groups[keyGroup]?.get(id);
    return readState(state, specs, nowMs, this.hooks(id, keyGroup, state));
  }

  write(id: string, keyGroup: number, writes: readonly StateWrite[], nowMs: number): void {
    const state = this.groups[keyGroup]?.get(id);
    const next = writeState(state, writes, nowMs, this.hooks(id, keyGroup, state));
    if (next !== state || countOf(next) !== countOf(state)) this.put(id, keyGroup, next);
  }

  entries(id: string, keyGroup: number, nowMs: number): StoredValue[] {
    return liveEntries(this.groups[keyGroup]?.get(id), nowMs);
  }

  /** Replaces an address's state with restored values (or removes it). */
  load(record: StateRecord, keyGroup: number, markChanged: boolean): void {
    if (markChanged)
      this.hooks(record.id, keyGroup, this.groups[keyGroup]?.get(record.id)).beforeChange();
    for (const value of record.values) this.shared.sweeper.note(this, record.id, value.expiresAtMs);
    this.put(record.id, keyGroup, stateFromRecords(record.values));
  }
}

/** Options of {@link createMemoryStateBackend}. */
export interface MemoryStateBackendOptions {
  /** Number of key groups. Default: 128. */
  readonly maxKeyGroups?: number;
}

/** Creates an in-memory state backend. */
export function createMemoryStateBackend(options: MemoryStateBackendOptions = {}): StateBackend {
  const maxKeyGroups = checkMaxKeyGroups(options.maxKeyGroups ?? DEFAULT_MAX_KEY_GROUPS);
  const tables = new Map<string, MemoryStateTable>();
  let tracking = false;
  const shared: Shared = { capture: undefined, values: 0, sweeper: new ExpirySweeper() };
  function table(typename: string): MemoryStateTable {
    let found = tables.get(typename);
    if (found === undefined) {
      found = new MemoryStateTable(typename, maxKeyGroups, shared);
      if (tracking) found.tracker = new ChangeTracker(maxKeyGroups);
      tables.set(typename, found);
    }
    return found;
  }
  return {
    kind: "memory",
    maxKeyGroups,
    table,
    trackChanges() {
      tracking = true;
      for (const existing of tables.values()) existing.tracker ??= new ChangeTracker(maxKeyGroups);
    },
    captureChanges: (cutMs) => startCapture(shared, tables.values(), cutMs),
    restore(records, { markChanged }) {
      for (const record of records) {
        table(record.functionType).load(record, keyGroupOf(record.id, maxKeyGroups), markChanged);
      }
    },
    sweepExpired: (nowMs) => shared.sweeper.sweep(nowMs),
    functionTypes() {
      return [...tables.values()]
        .map((t) => ({ typename: t.typename, addresses: t.addresses() }))
        .filter((t) => t.addresses > 0);
    },
    listIds(typename, after, limit, nowMs) {
      return tables.get(typename)?.listIds(after, limit, nowMs) ?? { ids: [], next: undefined };
    },
    keyGroupRecords(keyGroup, nowMs) {
      const records: StateRecord[] = [];
      for (const existing of tables.values()) {
        for (const [id, state] of existing.groups[keyGroup] ?? []) {
          const values = liveEntries(state, nowMs).map(recordValueOf);
          if (values.length > 0) records.push({ functionType: existing.typename, id, values });
        }
      }
      return records;
    },
    liveValues: () => shared.values,
    whenWritten: () => Promise.resolve(),
    clear() {
      shared.capture?.release();
      shared.sweeper.clear();
      shared.values = 0;
      for (const existing of tables.values()) {
        existing.groups.fill(undefined);
        if (existing.tracker !== undefined) existing.tracker = new ChangeTracker(maxKeyGroups);
      }
    },
    close: () => Promise.resolve(),
  };
}
