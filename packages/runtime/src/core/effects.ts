/**
 * Validation and application of an invocation batch's effects. Validation checks every effect
 * before anything is applied (reference §1.5, §1.8, §1.9): an invalid effect fails the whole batch
 * and leaves state, messages, timers and egress untouched. Application then happens in one
 * synchronous step in the reference's order: messages, delayed messages, egress, state.
 */
import type { InvocationEffects, StateMutation } from "@statefun-ts/protocol";
import { StatefunError, formatAddress } from "@statefun-ts/protocol";
import type { StateWrite } from "../state/backend.js";
import type { AddressSlot, FunctionTypeRuntime } from "./address-slot.js";
import type { DelayedMessages } from "./delayed-messages.js";
import type { EgressRouter } from "./egress.js";
import { isWellFormedText } from "../checkpoint/format/layout.js";

/** What validation and application need from the dispatcher. */
export interface EffectsEnvironment {
  /** The runtime of a function type, or `undefined` when no function of that type exists. */
  functionType(typename: string): FunctionTypeRuntime | undefined;
  readonly delayed: DelayedMessages;
  readonly egress: EgressRouter;
  /** Enqueues a message for an address. */
  deliver(
    fn: FunctionTypeRuntime,
    id: string,
    caller: AddressSlot["address"] | undefined,
    value: InvocationEffects["messages"][number]["value"],
  ): void;
  now(): number;
}

function invalid(slot: AddressSlot, message: string): StatefunError {
  return new StatefunError("invalid-effect", `${formatAddress(slot.address)}: ${message}`, {
    details: { address: formatAddress(slot.address) },
  });
}

function stateWrites(
  slot: AddressSlot,
  mutations: readonly StateMutation[],
): StateWrite[] | StatefunError {
  const writes = new Array<StateWrite>(mutations.length);
  for (let i = 0; i < mutations.length; i++) {
    const mutation = mutations[i] as StateMutation;
    const spec = slot.fn.specsByName.get(mutation.name);
    if (spec === undefined) {
      return invalid(
        slot,
        `state mutation of ${JSON.stringify(mutation.name)}, which is not a registered value of ${slot.fn.typename} (forgot to declare it?)`,
      );
    }
    if (mutation.value !== undefined && mutation.value.typename !== spec.typename) {
      return invalid(
        slot,
        `state ${JSON.stringify(mutation.name)} is registered with type ${spec.typename} but was written with type ${mutation.value.typename}`,
      );
    }
    writes[i] = { spec, value: mutation.value };
  }
  return writes;
}

/** `what` (a string field, quoted) has no UTF-8 form. */
function lonelySurrogate(what: string, text: string): string {
  return `${what} ${JSON.stringify(text)} has a lone surrogate, which UTF-8 (the wire and checkpoints) cannot hold`;
}

/**
 * What of a message's strings a checkpoint (or the wire) could not hold, if anything: a lone
 * surrogate in its target id, value typename or cancellation token.
 */
export function unwritableText(id: string, typename: string, token?: string): string | undefined {
  if (!isWellFormedText(id)) return lonelySurrogate("target id", id);
  if (!isWellFormedText(typename)) return lonelySurrogate("value typename", typename);
  if (token !== undefined && !isWellFormedText(token)) {
    return lonelySurrogate("cancellation token", token);
  }
  return undefined;
}

/**
 * Checks every effect of a batch. Returns the state writes to apply, or the first problem found.
 */
export function validateEffects(
  env: EffectsEnvironment,
  slot: AddressSlot,
  effects: InvocationEffects,
): StateWrite[] | StatefunError {
  // Indexed loops: effects often hold the SDK's frozen empty array, over which `for...of`
  // allocates an iterator and its results on every batch.
  const messages = effects.messages;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as (typeof messages)[number];
    if (env.functionType(message.target.typename) === undefined) {
      return invalid(slot, `message to unknown function type ${message.target.typename}`);
    }
    const problem = unwritableText(message.target.id, message.value.typename);
    if (problem !== undefined) return invalid(slot, `message: ${problem}`);
  }
  if (effects.delayed.length > 0) {
    // Simulate the token index through the batch, since a batch may cancel and re-use a token.
    const added = new Set<string>();
    const removed = new Set<string>();
    for (let i = 0; i < effects.delayed.length; i++) {
      const action = effects.delayed[i] as (typeof effects.delayed)[number];
      if (action.kind === "cancel") {
        const token = action.cancellationToken;
        if (token === "")
          return invalid(slot, "cancellation of a delayed message with an empty token");
        added.delete(token);
        removed.add(token);
        continue;
      }
      if (!Number.isSafeInteger(action.delayMs) || action.delayMs < 0) {
        return invalid(slot, `delayed message with delay ${action.delayMs} ms (must be ≥ 0)`);
      }
      if (env.functionType(action.message.target.typename) === undefined) {
        return invalid(
          slot,
          `delayed message to unknown function type ${action.message.target.typename}`,
        );
      }
      const problem = unwritableText(
        action.message.target.id,
        action.message.value.typename,
        action.cancellationToken,
      );
      if (problem !== undefined) return invalid(slot, `delayed message: ${problem}`);
      const token = action.cancellationToken;
      if (token !== undefined) {
        const pending =
          added.has(token) || (!removed.has(token) && env.delayed.hasToken(slot.address, token));
        if (pending) {
          return invalid(
            slot,
            `a delayed message with cancellation token ${JSON.stringify(token)} is already pending`,
          );
        }
        added.add(token);
        removed.delete(token);
      }
    }
  }
  for (let i = 0; i < effects.egress.length; i++) {
    const record = effects.egress[i] as (typeof effects.egress)[number];
    const sink = env.egress.get(record.egress);
    if (sink === undefined) {
      return invalid(slot, `record for unknown egress ${record.egress}`);
    }
    if (!isWellFormedText(record.value.typename)) {
      const problem = lonelySurrogate("value typename", record.value.typename);
      return invalid(slot, `record for egress ${record.egress}: ${problem}`);
    }
    const problem = sink.validate(record.value);
    if (problem !== undefined)
      return invalid(slot, `record for egress ${record.egress}: ${problem}`);
  }
  return effects.stateMutations.length === 0 ? [] : stateWrites(slot, effects.stateMutations);
}

/** Applies validated effects, in the reference's order: messages, delayed, egress, state. */
export function applyEffects(
  env: EffectsEnvironment,
  slot: AddressSlot,
  effects: InvocationEffects,
  writes: readonly StateWrite[],
): void {
  const self = slot.address;
  const counters = slot.fn.counters;
  const { messages, delayed, egress } = effects;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as (typeof messages)[number];
    const target = env.functionType(message.target.typename) as FunctionTypeRuntime;
    env.deliver(target, message.target.id, self, message.value);
  }
  counters.outLocal += messages.length;
  for (let i = 0; i < delayed.length; i++) {
    const action = delayed[i] as (typeof delayed)[number];
    if (action.kind === "cancel") env.delayed.cancel(self, action.cancellationToken);
    else
      env.delayed.schedule(
        self,
        slot.keyGroup,
        action.delayMs,
        action.message,
        action.cancellationToken,
      );
  }
  for (let i = 0; i < egress.length; i++) {
    const record = egress[i] as (typeof egress)[number];
    env.egress.emit(record.egress, record.value);
  }
  counters.outEgress += egress.length;
  if (writes.length > 0) slot.fn.table.write(slot.id, slot.keyGroup, writes, env.now());
}
