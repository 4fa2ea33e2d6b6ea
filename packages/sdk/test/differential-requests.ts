/**
 * Requests for the differential tests: commands and state values encoded with our types, and a
 * miniature runtime that keeps an address's registered state between batches by applying the
 * replies (registration from `IncompleteInvocationContext`, MODIFY/DELETE from results).
 */
import type { Address, FromFunction } from "@statefun-ts/protocol";
import { MutationType, TypedValue, boolType, intType, stringType } from "@statefun-ts/protocol";
import { jsonType } from "../src/index.js";
import type { Command } from "./differential-functions.js";
import { COMMAND_TYPENAME, FUNCTION_TYPENAME } from "./differential-functions.js";
import { request } from "./handler-helpers.js";
import type { InvocationEntry, StateEntry } from "./handler-helpers.js";

const commandType = jsonType<Command>(COMMAND_TYPENAME);
const logType = jsonType<string[]>("diff/Log");

/** A command message. */
export function command(value: Command): TypedValue {
  return TypedValue.of(commandType, value);
}

/** A plain string message (the function appends it to its log). */
export function text(value: string): TypedValue {
  return TypedValue.of(stringType, value);
}

/** Values of the function's four states; `undefined` = registered without value. */
export interface StateValues {
  readonly count?: number | undefined;
  readonly log?: string[] | undefined;
  readonly name?: string | undefined;
  readonly flag?: boolean | undefined;
}

/** State entries of a request: every state of `values` present (with its value, if any). */
export function stateEntries(values: StateValues): StateEntry[] {
  const entries: StateEntry[] = [];
  const add = (name: string, value: TypedValue | undefined) =>
    entries.push(value === undefined ? { name } : { name, value });
  if ("count" in values) {
    add("count", values.count === undefined ? undefined : TypedValue.of(intType, values.count));
  }
  if ("log" in values) {
    add("log", values.log === undefined ? undefined : TypedValue.of(logType, values.log));
  }
  if ("name" in values) {
    add("name", values.name === undefined ? undefined : TypedValue.of(stringType, values.name));
  }
  if ("flag" in values) {
    add("flag", values.flag === undefined ? undefined : TypedValue.of(boolType, values.flag));
  }
  return entries;
}

/** An invocation of a command or a string, optionally from a function. */
export function invocation(argument: Command | string, caller?: Address): InvocationEntry {
  const value = typeof argument === "string" ? text(argument) : command(argument);
  return caller === undefined ? { argument: value } : { argument: value, caller };
}

/** A request to the differential function. */
export function toCounter(
  id: string,
  state: readonly StateEntry[],
  invocations: readonly InvocationEntry[],
): Uint8Array {
  return request([FUNCTION_TYPENAME, id], state, invocations);
}

/** The state the runtime keeps for one address: registered names and their values. */
export class AddressState {
  private readonly values = new Map<string, TypedValue | undefined>();

  constructor(initial: readonly StateEntry[] = []) {
    for (const entry of initial) this.values.set(entry.name, entry.value);
  }

  /** The state entries of the next request (every registered name). */
  entries(): StateEntry[] {
    return [...this.values].map(([name, value]) =>
      value === undefined ? { name } : { name, value },
    );
  }

  /** Applies a reply: registers missing specs, or stores MODIFY values and clears DELETEs. */
  apply(reply: FromFunction): void {
    for (const spec of reply.incompleteInvocationContext?.missingValues ?? []) {
      if (!this.values.has(spec.stateName)) this.values.set(spec.stateName, undefined);
    }
    for (const mutation of reply.invocationResult?.stateMutations ?? []) {
      const wire = mutation.stateValue;
      this.values.set(
        mutation.stateName,
        mutation.mutationType === MutationType.DELETE || wire === null || wire === undefined
          ? undefined
          : TypedValue.fromBytes(wire.typename, wire.value),
      );
    }
  }
}
