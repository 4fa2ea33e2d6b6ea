/**
 * The in-memory state backend (the default): per function type and key group, a map from id to
 * the address's state cells, updated in place. With change tracking on, every change marks its
 * address, and a capture at a checkpoint's cut preserves the cut's version of addresses that
 * change again before the checkpoint is written (see memory-capture.ts). Expired values read as
 * absent at once and are removed by the expiry sweep (expiry-sweeper.ts).
 */
import type { StateSpec, TypedValue } from "@statefun-ts/protocol";
import { StatefunError } from "@statefun-ts/protocol";
import type { StateRecord } from "../checkpoint/model.js";
import { DEFAULT_MAX_KEY_GROUPS, checkMaxKeyGroups, keyGroupOf } from "../core/key-group.js";
import type { AddressState } from "./address-state.js";
import { cellsOf, compact, findCell } from "./address-state.js";
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
import { ChangeTracker, MemoryCapture } from "./memory-capture.js";
import { StateCell } from "./state-cell.js";

function expiryFor(spec: StateSpec, nowMs: number): number {
  return spec.expiration.mode === "none" ? Infinity : nowMs + spec.expiration.afterMs;
}

/** What the tables of a backend share: the capture in progress and the count of values. */
interface CaptureHolder {
  capture: MemoryCapture | undefined;
  /** Values stored, all tables. */
  values: number;
}

function countOf(state: AddressState | undefined): number {
  if (state === undefined) return 0;
  return state instanceof StateCell ? 1 : state.length;
}

class MemoryStateTable implements StateTable, CapturedTable, SweptTable {
  readonly typename: string;
  /** State per key group; a group's map exists once something was written to it. */
  readonly groups: (Map<string, AddressState> | undefined)[];
  /** Set while changes are tracked. */
  tracker: ChangeTracker | undefined = undefined;
  private readonly holder: CaptureHolder;
  private readonly sweeper: ExpirySweeper;
  private readonly maxKeyGroups: number;

  constructor(
    typename: string,
    maxKeyGroups: number,
    holder: CaptureHolder,
    sweeper: ExpirySweeper,
  ) {
    this.typename = typename;
    this.groups = new Array<Map<string, AddressState> | undefined>(maxKeyGroups).fill(undefined);
    this.holder = holder;
    this.sweeper = sweeper;
    this.maxKeyGroups = maxKeyGroups;
  }

  cells(id: string, keyGroup: number): AddressState | undefined {
    return this.groups[keyGroup]?.get(id);
  }

  markChanged(keyGroup: number, id: string): void {
    this.tracker?.mark(keyGroup, id);
  }

  /** Runs before an address's state changes: tracking and copy-on-write for a capture. */
  private changing(id: string, keyGroup: number, state: AddressState | undefined): void {
    this.holder.capture?.beforeChange(this, keyGroup, id, state);
    this.tracker?.mark(keyGroup, id);
  }

  private put(id: string, keyGroup: number, state: AddressState | undefined): void {
    const group = this.groups[keyGroup];
    this.holder.values += countOf(state) - countOf(group?.get(id));
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
      const sorted = [...group.keys()].sort();
      let start = 0;
      if (after !== undefined && keyGroup === after.keyGroup) {
        while (start < sorted.length && (sorted[start] as string) <= after.id) start++;
      }
      for (let i = start; i < sorted.length; i++) {
        const id = sorted[i] as string;
        const state = group.get(id) as AddressState;
        if (!cellsOf(state).some((cell) => cell.isLive(nowMs))) continue;
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
    const cells = cellsOf(state);
    const live = cells.filter((cell) => cell.isLive(nowMs));
    const nextExpiryMs = Math.min(Infinity, ...live.map((cell) => cell.expiresAtMs));
    const removed = cells.length - live.length;
    if (removed > 0) {
      this.changing(id, keyGroup, state);
      this.put(id, keyGroup, compact(live));
    }
    return { removed, nextExpiryMs };
  }

  read(
    id: string,
    keyGroup: number,
    specs: readonly StateSpec[],
    nowMs: number,
  ): (TypedValue | undefined)[] {
    const values = new Array<TypedValue | undefined>(specs.length).fill(undefined);
    const state = this.groups[keyGroup]?.get(id);
    if (state === undefined) return values;
    let changed = false;
    for (let s = 0; s < specs.length; s++) {
      const spec = specs[s] as StateSpec;
      const cell = findCell(state, spec.name);
      if (cell === undefined || !cell.isLive(nowMs)) continue;
      values[s] = cell.value();
      if (spec.expiration.mode === "after-invoke") {
        if (!changed) this.changing(id, keyGroup, state);
        changed = true;
        cell.expiresAtMs = nowMs + spec.expiration.afterMs;
        this.sweeper.note(this, id, cell.expiresAtMs);
      }
    }
    return values;
  }

  write(id: string, keyGroup: number, writes: readonly StateWrite[], nowMs: number): void {
    const state = this.groups[keyGroup]?.get(id);
    this.changing(id, keyGroup, state);
    // Fast path: one value replaced in place, nothing else expired.
    if (writes.length === 1 && state instanceof StateCell) {
      const { spec, value } = writes[0] as StateWrite;
      if (value !== undefined && state.name === spec.name) {
        const expiresAtMs = expiryFor(spec, nowMs);
        // Replaced in place: the count of values does not change.
        state.assign(value, expiresAtMs);
        this.sweeper.note(this, id, expiresAtMs);
        return;
      }
    }
    const cells = cellsOf(state).filter((cell) => cell.isLive(nowMs));
    for (let w = 0; w < writes.length; w++) {
      const { spec, value } = writes[w] as StateWrite;
      const index = cells.findIndex((cell) => cell.name === spec.name);
      if (value === undefined) {
        if (index !== -1) cells.splice(index, 1);
        continue;
      }
      const cell = index === -1 ? new StateCell(spec.name) : (cells[index] as StateCell);
      if (index === -1) cells.push(cell);
      const expiresAtMs = expiryFor(spec, nowMs);
      cell.assign(value, expiresAtMs);
      this.sweeper.note(this, id, expiresAtMs);
    }
    this.put(id, keyGroup, compact(cells));
  }

  entries(id: string, keyGroup: number, nowMs: number): StoredValue[] {
    return cellsOf(this.groups[keyGroup]?.get(id))
      .filter((cell) => cell.isLive(nowMs))
      .map((cell) => ({ name: cell.name, value: cell.value(), expiresAtMs: cell.expiresAtMs }));
  }

  /** Replaces an address's state with restored values (or removes it). */
  load(record: StateRecord, keyGroup: number, markChanged: boolean): void {
    if (markChanged) this.changing(record.id, keyGroup, this.groups[keyGroup]?.get(record.id));
    const cells = record.values.map((value) => {
      const cell = new StateCell(value.name);
      cell.assignBytes(value.typename, value.value, value.expiresAtMs);
      this.sweeper.note(this, record.id, value.expiresAtMs);
      return cell;
    });
    this.put(record.id, keyGroup, compact(cells));
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
  const holder: CaptureHolder = { capture: undefined, values: 0 };
  const sweeper = new ExpirySweeper();
  function table(typename: string): MemoryStateTable {
    let found = tables.get(typename);
    if (found === undefined) {
      found = new MemoryStateTable(typename, maxKeyGroups, holder, sweeper);
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
    captureChanges(cutMs) {
      if (holder.capture !== undefined) {
        throw new StatefunError("illegal-state", "a state capture is already in progress");
      }
      const captured = new Map<number, Map<CapturedTable, Set<string>>>();
      for (const existing of tables.values()) existing.tracker?.drain(existing, captured);
      const capture = new MemoryCapture(cutMs, captured, () => {
        if (holder.capture === capture) holder.capture = undefined;
      });
      holder.capture = capture;
      return capture;
    },
    restore(records, { markChanged }) {
      for (const record of records) {
        table(record.functionType).load(record, keyGroupOf(record.id, maxKeyGroups), markChanged);
      }
    },
    sweepExpired(nowMs) {
      return sweeper.sweep(nowMs);
    },
    functionTypes() {
      return [...tables.values()]
        .map((t) => ({ typename: t.typename, addresses: t.addresses() }))
        .filter((t) => t.addresses > 0);
    },
    listIds(typename, after, limit, nowMs) {
      return tables.get(typename)?.listIds(after, limit, nowMs) ?? { ids: [], next: undefined };
    },
    liveValues() {
      return holder.values;
    },
    clear() {
      holder.capture?.release();
      sweeper.clear();
      holder.values = 0;
      for (const existing of tables.values()) {
        existing.groups.fill(undefined);
        if (existing.tracker !== undefined) existing.tracker = new ChangeTracker(maxKeyGroups);
      }
    },
    close: () => Promise.resolve(),
  };
}
