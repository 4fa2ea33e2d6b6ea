/**
 * Durable keyed state of a runtime component (the playground egress's queues, say), kept in a
 * system table of the state backend. Its changes ride the incremental checkpoints as function
 * state does, and it is restored with everything else: a checkpoint carries what changed since
 * the previous one, not the component's whole state, however large that grows.
 */
import type { StateSpec } from "@statefun-ts/protocol";
import { NO_EXPIRATION, TypedValue } from "@statefun-ts/protocol";
import type { Clock } from "../core/clock.js";
import { keyGroupOf } from "../core/key-group.js";
import type { IdCursor, StateBackend, StateTable } from "../state/backend.js";

/** Keyed bytes of one component, changed in step with processing. */
export interface ComponentStore {
  /**
   * Sets the value under `key`, or deletes it (`undefined`). The change belongs to the checkpoint
   * whose cut comes next, like a state change made by a function at this moment.
   */
  put(key: string, value: Uint8Array | undefined): void;
  /** Every entry, read a page at a time (in no particular order). */
  entries(): Generator<readonly [key: string, value: Uint8Array]>;
}

/** The typename of a component's system table: `statefun-ts.system/` and its id, `/` made `.`. */
export function componentTableOf(componentId: string): string {
  return `statefun-ts.system/${componentId.replaceAll("/", ".")}`;
}

const VALUE_SPEC: StateSpec = {
  name: "value",
  typename: "statefun-ts.system/bytes",
  expiration: NO_EXPIRATION,
};
const PAGE = 1000;

/** A {@link ComponentStore} in the table {@link componentTableOf}(`componentId`) of `backend`. */
export function createComponentStore(
  backend: StateBackend,
  componentId: string,
  clock: Clock,
): ComponentStore {
  const typename = componentTableOf(componentId);
  const table: StateTable = backend.table(typename);
  const maxKeyGroups = backend.maxKeyGroups;
  return {
    put(key, value) {
      const write = {
        spec: VALUE_SPEC,
        value: value === undefined ? undefined : TypedValue.fromBytes(VALUE_SPEC.typename, value),
      };
      table.write(key, keyGroupOf(key, maxKeyGroups), [write], clock.now());
    },
    *entries() {
      let after: IdCursor | undefined;
      do {
        const now = clock.now();
        const page = backend.listIds(typename, after, PAGE, now);
        for (const key of page.ids) {
          const value = table.read(key, keyGroupOf(key, maxKeyGroups), [VALUE_SPEC], now)[0];
          if (value !== undefined) yield [key, value.bytes] as const;
        }
        after = page.next;
      } while (after !== undefined);
    },
  };
}
