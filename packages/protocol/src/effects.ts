/**
 * The effects of an invocation batch in domain terms: state mutations, messages, delayed messages
 * and cancellations, egress records. Embedded functions produce these directly; remote functions
 * produce them as an `InvocationResponse`, which {@link ./convert.ts} turns into the same shape.
 */
import type { Address } from "./address.js";
import type { TypedValue } from "./typed-value.js";

/** A message to a function. */
export interface OutgoingMessage {
  /** The receiving function instance. */
  readonly target: Address;
  /** The message payload. */
  readonly value: TypedValue;
}

/** A record for an egress. */
export interface EgressRecord {
  /** The egress id (`<namespace>/<name>`), as declared in module.yaml. */
  readonly egress: string;
  /** The record payload; its typename must be one the egress accepts. */
  readonly value: TypedValue;
}

/** A message delivered after a delay, optionally cancellable by token. */
export interface DelayedSend {
  readonly kind: "send";
  /** Delay in milliseconds of processing time, counted from when the runtime applies the effect. */
  readonly delayMs: number;
  readonly message: OutgoingMessage;
  /** Token scoped to the sending address; `undefined` when the message cannot be cancelled. */
  readonly cancellationToken: string | undefined;
}

/** The cancellation of a pending delayed message of the sending address. */
export interface DelayedCancel {
  readonly kind: "cancel";
  readonly cancellationToken: string;
}

/** A delayed send or a cancellation, applied in order. */
export type DelayedAction = DelayedSend | DelayedCancel;

/** A change of one state value: a new value, or `undefined` to delete it. */
export interface StateMutation {
  /** The state name (as declared in the value spec). */
  readonly name: string;
  /** The new value, or `undefined` for a delete. */
  readonly value: TypedValue | undefined;
}

/** Everything an invocation batch asks the runtime to do, applied atomically. */
export interface InvocationEffects {
  readonly stateMutations: readonly StateMutation[];
  readonly messages: readonly OutgoingMessage[];
  readonly delayed: readonly DelayedAction[];
  readonly egress: readonly EgressRecord[];
}

/** One message of an invocation batch as the function sees it. */
export interface InvocationInput {
  /** The sending function, or `undefined` for a message from an ingress. */
  readonly caller: Address | undefined;
  /** The message payload. */
  readonly argument: TypedValue;
}

/** How a state value expires (reference §1.7). */
export type Expiration =
  | { readonly mode: "none" }
  | {
      /** `after-write`: since the last write; `after-invoke`: since the last invocation of the address. */
      readonly mode: "after-write" | "after-invoke";
      /** Time to live in milliseconds. */
      readonly afterMs: number;
    };

/** A state value a function declares: name, typename and expiration. */
export interface StateSpec {
  readonly name: string;
  /** Typename of the value's type. */
  readonly typename: string;
  readonly expiration: Expiration;
}

/** The expiration of a value that never expires. */
export const NO_EXPIRATION: Expiration = Object.freeze({ mode: "none" });
