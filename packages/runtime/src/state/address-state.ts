/**
 * The state of one address in the in-memory backend: one cell when the address has one value
 * (the common case, no array), an array of cells otherwise.
 */
import type { StateSpec, TypedValue } from "@statefun-ts/protocol";
import type { StateValueRecord } from "../checkpoint/model.js";
import type { StateWrite, StoredValue } from "./backend.js";
import { StateCell } from "./state-cell.js";

/** One cell, or several (each name at most once). */
export type AddressState = StateCell | StateCell[];

/** The cell named `name`, if any. */
export function findCell(state: AddressState, name: string): StateCell | undefined {
  if (state instanceof StateCell) return state.name === name ? state : undefined;
  for (let i = 0; i < state.length; i++) {
    const cell = state[i] as StateCell;
    if (cell.name === name) return cell;
  }
  return undefined;
}

/** The cells as an array (allocates for a single cell: not for hot paths). */
export function cellsOf(state: AddressState | undefined): StateCell[] {
  if (state === undefined) return [];
  return state instanceof StateCell ? [state] : state;
}

/** The compact form of a list of cells: `undefined` when empty, the cell when alone. */
export function compact(cells: StateCell[]): AddressState | undefined {
  if (cells.length === 0) return undefined;
  return cells.length === 1 ? cells[0] : cells;
}

/** A detached copy (for copy-on-write). */
export function copyState(state: AddressState): AddressState {
  return state instanceof StateCell ? state.copy() : state.map((cell) => cell.copy());
}

/** How a state change is announced to the backend that owns the state. */
export interface StateHooks {
  /** Called once before the state changes (tracking, copy-on-write). */
  beforeChange(): void;
  /** Called with every new expiration time (to schedule removal). */
  expiresAt(ms: number): void;
}

function expiryFor(spec: StateSpec, nowMs: number): number {
  return spec.expiration.mode === "none" ? Infinity : nowMs + spec.expiration.afterMs;
}

/** Values stored in a state (0 for none). */
export function countOf(state: AddressState | undefined): number {
  if (state === undefined) return 0;
  return state instanceof StateCell ? 1 : state.length;
}

/**
 * The values of `specs` in `state`, in spec order; expired ones read as `undefined`. Values whose
 * spec expires after invoke get their expiration refreshed.
 */
export function readState(
  state: AddressState | undefined,
  specs: readonly StateSpec[],
  nowMs: number,
  hooks: StateHooks,
): (TypedValue | undefined)[] {
  // Set one by one (`fill` is a call into the runtime), at their exact size (`push` onto an empty
  // array allocates room for 17).
  const values = new Array<TypedValue | undefined>(specs.length);
  for (let s = 0; s < specs.length; s++) values[s] = undefined;
  if (state === undefined) return values;
  let changed = false;
  for (let s = 0; s < specs.length; s++) {
    const spec = specs[s] as StateSpec;
    const cell = findCell(state, spec.name);
    if (cell === undefined || !cell.isLive(nowMs)) continue;
    values[s] = cell.value();
    if (spec.expiration.mode === "after-invoke") {
      if (!changed) hooks.beforeChange();
      changed = true;
      cell.expiresAtMs = nowMs + spec.expiration.afterMs;
      hooks.expiresAt(cell.expiresAtMs);
    }
  }
  return values;
}

/**
 * Applies writes (a value, or `undefined` to delete) to `state`, updating cells in place, and
 * drops values expired at `nowMs`. Returns the new state (`undefined` when nothing is left).
 */
export function writeState(
  state: AddressState | undefined,
  writes: readonly StateWrite[],
  nowMs: number,
  hooks: StateHooks,
): AddressState | undefined {
  hooks.beforeChange();
  // Fast paths: one value replaced in place, nothing else stored, or the first value stored.
  if (writes.length === 1 && (state === undefined || state instanceof StateCell)) {
    const { spec, value } = writes[0] as StateWrite;
    if (value !== undefined && (state === undefined || state.name === spec.name)) {
      const cell = state ?? new StateCell(spec.name);
      const expiresAtMs = expiryFor(spec, nowMs);
      cell.assign(value, expiresAtMs);
      hooks.expiresAt(expiresAtMs);
      return cell;
    }
  }
  const cells = cellsOf(state).filter((cell) => cell.isLive(nowMs));
  for (const { spec, value } of writes) {
    const index = cells.findIndex((cell) => cell.name === spec.name);
    if (value === undefined) {
      if (index !== -1) cells.splice(index, 1);
      continue;
    }
    const cell = index === -1 ? new StateCell(spec.name) : (cells[index] as StateCell);
    if (index === -1) cells.push(cell);
    const expiresAtMs = expiryFor(spec, nowMs);
    cell.assign(value, expiresAtMs);
    hooks.expiresAt(expiresAtMs);
  }
  return compact(cells);
}

/** Removes values expired at `nowMs`; returns the new state, how many went, and the next expiry. */
export function removeExpiredValues(
  state: AddressState,
  nowMs: number,
): { state: AddressState | undefined; removed: number; nextExpiryMs: number } {
  const cells = cellsOf(state);
  const live = cells.filter((cell) => cell.isLive(nowMs));
  let nextExpiryMs = Infinity;
  for (const cell of live) nextExpiryMs = Math.min(nextExpiryMs, cell.expiresAtMs);
  return { state: compact(live), removed: cells.length - live.length, nextExpiryMs };
}

/** The live values of a state, for queries. */
export function liveEntries(state: AddressState | undefined, nowMs: number): StoredValue[] {
  return cellsOf(state)
    .filter((cell) => cell.isLive(nowMs))
    .map((cell) => ({ name: cell.name, value: cell.value(), expiresAtMs: cell.expiresAtMs }));
}

/** A live value as a checkpoint's state records hold it. */
export function recordValueOf(entry: StoredValue): StateValueRecord {
  return {
    name: entry.name,
    typename: entry.value.typename,
    value: entry.value.bytes,
    expiresAtMs: entry.expiresAtMs,
  };
}

/** State cells built from stored values (from a checkpoint or disk). */
export function stateFromRecords(values: readonly StateValueRecord[]): AddressState | undefined {
  return compact(
    values.map((value) => {
      const cell = new StateCell(value.name);
      cell.assignBytes(value.typename, value.value, value.expiresAtMs);
      return cell;
    }),
  );
}

/**
 * Orders ids by Unicode code points — the order of their UTF-8 bytes, which is how backends that
 * keep keys as bytes order them — so that every backend lists ids in the same order.
 */
export function compareIds(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}
