/**
 * The state of one address in the in-memory backend: one cell when the address has one value
 * (the common case, no array), an array of cells otherwise.
 */
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
