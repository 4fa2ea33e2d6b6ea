/**
 * The in-memory state backend (the default): per function type and key group, a map from id to an
 * immutable record of the address's values. Writes replace records (copy on write), so that a
 * snapshot can hold on to records without copying values.
 */
import type { StateSpec, TypedValue } from "@statefun-ts/protocol";
import { DEFAULT_MAX_KEY_GROUPS, checkMaxKeyGroups } from "../core/key-group.js";
import type { StateBackend, StateTable, StateWrite, StoredValue } from "./backend.js";

/** The values of one address, at most one per state name. Never mutated once stored. */
export type AddressRecord = readonly StoredValue[];

function expiryFor(spec: StateSpec, nowMs: number): number {
  return spec.expiration.mode === "none" ? Infinity : nowMs + spec.expiration.afterMs;
}

class MemoryStateTable implements StateTable {
  readonly typename: string;
  /** Records per key group; a group's map exists once something was written to it. */
  readonly groups: (Map<string, AddressRecord> | undefined)[];

  constructor(typename: string, maxKeyGroups: number) {
    this.typename = typename;
    this.groups = new Array<Map<string, AddressRecord> | undefined>(maxKeyGroups).fill(undefined);
  }

  read(
    id: string,
    keyGroup: number,
    specs: readonly StateSpec[],
    nowMs: number,
  ): (TypedValue | undefined)[] {
    const values = new Array<TypedValue | undefined>(specs.length).fill(undefined);
    const record = this.groups[keyGroup]?.get(id);
    if (record === undefined) return values;
    let refreshed: StoredValue[] | undefined;
    for (let s = 0; s < specs.length; s++) {
      const spec = specs[s] as StateSpec;
      for (let r = 0; r < record.length; r++) {
        const stored = record[r] as StoredValue;
        if (stored.name !== spec.name) continue;
        if (stored.expiresAtMs > nowMs) {
          values[s] = stored.value;
          if (spec.expiration.mode === "after-invoke") {
            refreshed ??= record.slice();
            refreshed[r] = {
              name: stored.name,
              value: stored.value,
              expiresAtMs: nowMs + spec.expiration.afterMs,
            };
          }
        }
        break;
      }
    }
    if (refreshed !== undefined) this.store(id, keyGroup, refreshed);
    return values;
  }

  write(id: string, keyGroup: number, writes: readonly StateWrite[], nowMs: number): void {
    const current = this.groups[keyGroup]?.get(id);
    const next: StoredValue[] = [];
    if (current !== undefined) {
      for (const stored of current) if (stored.expiresAtMs > nowMs) next.push(stored);
    }
    for (const { spec, value } of writes) {
      const index = next.findIndex((stored) => stored.name === spec.name);
      if (value === undefined) {
        if (index !== -1) next.splice(index, 1);
        continue;
      }
      const stored: StoredValue = { name: spec.name, value, expiresAtMs: expiryFor(spec, nowMs) };
      if (index === -1) next.push(stored);
      else next[index] = stored;
    }
    this.store(id, keyGroup, next);
  }

  entries(id: string, keyGroup: number, nowMs: number): StoredValue[] {
    const record = this.groups[keyGroup]?.get(id);
    return record === undefined ? [] : record.filter((stored) => stored.expiresAtMs > nowMs);
  }

  private store(id: string, keyGroup: number, record: AddressRecord): void {
    let group = this.groups[keyGroup];
    if (record.length === 0) {
      group?.delete(id);
      return;
    }
    if (group === undefined) {
      group = new Map();
      this.groups[keyGroup] = group;
    }
    group.set(id, record);
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
