/**
 * Helpers shared by the core tests: building runtimes over SDK registries with a manual clock,
 * reading state directly from the backend, and collecting egress records in memory.
 */
import type { Address, StateSpec, Type, TypedValue } from "@statefun-ts/protocol";
import { NO_EXPIRATION, addressOf } from "@statefun-ts/protocol";
import type { StatefulFunctions } from "@statefun-ts/sdk";
import type { Egress, Runtime, RuntimeOptions } from "../../src/index.js";
import { ManualClock, createRuntime, keyGroupOf } from "../../src/index.js";

/** Builds an address. */
export function at(typename: string, id: string): Address {
  return addressOf(typename, id);
}

/** A runtime with a manual clock. */
export function manualRuntime(
  functions: StatefulFunctions,
  options: RuntimeOptions = {},
): { runtime: Runtime; clock: ManualClock } {
  const clock = new ManualClock();
  const runtime = createRuntime({ functions: [functions], clock, ...options });
  return { runtime, clock };
}

/** Reads one stored value of an address straight from the backend. */
export function readState<T>(
  runtime: Runtime,
  address: Address,
  name: string,
  type: Type<T>,
  nowMs: number,
): T | undefined {
  const spec: StateSpec = { name, typename: type.typename, expiration: NO_EXPIRATION };
  const value = runtime.backend
    .table(address.typename)
    .read(address.id, keyGroupOf(address.id, runtime.backend.maxKeyGroups), [spec], nowMs)[0];
  return value?.as(type);
}

/** An egress that keeps records in memory, optionally refusing some. */
export function memoryEgress(
  id: string,
  refuse: (value: TypedValue) => string | undefined = () => undefined,
): Egress & { readonly records: TypedValue[] } {
  const records: TypedValue[] = [];
  return {
    id,
    records,
    validate: refuse,
    publish(batch) {
      records.push(...batch);
    },
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    describe: () => ({ kind: "memory" }),
  };
}

/** Waits until `predicate` holds, polling on the event loop; fails after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs = 5000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
