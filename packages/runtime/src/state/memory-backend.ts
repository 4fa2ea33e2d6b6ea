/**
 * The in-memory state backend (the default): per function type and key group, a map from id to
 * the address's state cells. Cells are updated in place and keep immutable values (numbers,
 * strings) decoded rather than as `TypedValue`s, so that steady writes allocate nothing that
 * outlives the invocation — long-lived garbage is what makes a JS heap slow.
 */
import type { StateSpec, Type } from "@statefun-ts/protocol";
import { TypedValue } from "@statefun-ts/protocol";
import { DEFAULT_MAX_KEY_GROUPS, checkMaxKeyGroups } from "../core/key-group.js";
import type { StateBackend, StateTable, StateWrite, StoredValue } from "./backend.js";

/** One state value of one address, updated in place. */
export class StateCell {
  readonly name: string;
  typename = "";
  /** The serialized value, when known. */
  bytes: Uint8Array | undefined = undefined;
  /** The immutable decoded value, meaningful when {@link type} is set. */
  decoded: unknown = undefined;
  type: Type<unknown> | undefined = undefined;
  /** Expiration time in ms since the epoch; `Infinity` for never. */
  expiresAtMs = Infinity;

  constructor(name: string) {
    this.name = name;
  }

  /** Stores a value, keeping its decoded form when it has one. */
  assign(value: TypedValue, expiresAtMs: number): void {
    this.typename = value.typename;
    const type = value.decodedType;
    this.type = type;
    this.decoded = type === undefined ? undefined : value.decodedValue;
    this.bytes = value.encodedIfKnown;
    this.expiresAtMs = expiresAtMs;
  }

  /** The stored value. */
  value(): TypedValue {
    return TypedValue.fromParts(this.typename, this.bytes, this.decoded, this.type);
  }
}

/** The cells of one address: at most one per state name. */
export type AddressCells = StateCell[];

function expiryFor(spec: StateSpec, nowMs: number): number {
  return spec.expiration.mode === "none" ? Infinity : nowMs + spec.expiration.afterMs;
}

function findCell(cells: AddressCells, name: string): StateCell | undefined {
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i] as StateCell;
    if (cell.name === name) return cell;
  }
  return undefined;
}

class MemoryStateTable implements StateTable {
  readonly typename: string;
  /** Cells per key group; a group's map exists once something was written to it. */
  readonly groups: (Map<string, AddressCells> | undefined)[];

  constructor(typename: string, maxKeyGroups: number) {
    this.typename = typename;
    this.groups = new Array<Map<string, AddressCells> | undefined>(maxKeyGroups).fill(undefined);
  }

  read(
    id: string,
    keyGroup: number,
    specs: readonly StateSpec[],
    nowMs: number,
  ): (TypedValue | undefined)[] {
    const values = new Array<TypedValue | undefined>(specs.length).fill(undefined);
    const cells = this.groups[keyGroup]?.get(id);
    if (cells === undefined) return values;
    for (let s = 0; s < specs.length; s++) {
      const spec = specs[s] as StateSpec;
      const cell = findCell(cells, spec.name);
      if (cell === undefined || cell.expiresAtMs <= nowMs) continue;
      values[s] = cell.value();
      if (spec.expiration.mode === "after-invoke") {
        cell.expiresAtMs = nowMs + spec.expiration.afterMs;
      }
    }
    return values;
  }

  write(id: string, keyGroup: number, writes: readonly StateWrite[], nowMs: number): void {
    let group = this.groups[keyGroup];
    let cells = group?.get(id);
    for (let w = 0; w < writes.length; w++) {
      const { spec, value } = writes[w] as StateWrite;
      if (value === undefined) {
        if (cells === undefined) continue;
        const index = cells.findIndex((cell) => cell.name === spec.name);
        if (index !== -1) cells.splice(index, 1);
        continue;
      }
      if (cells === undefined) {
        cells = [];
        if (group === undefined) {
          group = new Map();
          this.groups[keyGroup] = group;
        }
        group.set(id, cells);
      }
      let cell = findCell(cells, spec.name);
      if (cell === undefined) {
        cell = new StateCell(spec.name);
        cells.push(cell);
      }
      cell.assign(value, expiryFor(spec, nowMs));
    }
    if (cells === undefined) return;
    // Expired cells go when their address is written; a sweep for idle ones comes with the disk backend.
    for (let i = cells.length - 1; i >= 0; i--) {
      if ((cells[i] as StateCell).expiresAtMs <= nowMs) cells.splice(i, 1);
    }
    if (cells.length === 0) group?.delete(id);
  }

  entries(id: string, keyGroup: number, nowMs: number): StoredValue[] {
    const cells = this.groups[keyGroup]?.get(id);
    if (cells === undefined) return [];
    return cells
      .filter((cell) => cell.expiresAtMs > nowMs)
      .map((cell) => ({ name: cell.name, value: cell.value(), expiresAtMs: cell.expiresAtMs }));
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
  return {
    kind: "memory",
    maxKeyGroups,
    table(typename) {
      let table = tables.get(typename);
      if (table === undefined) {
        table = new MemoryStateTable(typename, maxKeyGroups);
        tables.set(typename, table);
      }
      return table;
    },
    close: () => Promise.resolve(),
  };
}
