/**
 * The context a function receives with each message: its own address, the caller, typed storage
 * and the ways to send messages, delayed messages and egress records. Nothing here assumes where
 * the function runs: the same code runs embedded in the runtime and behind the HTTP handler.
 */
import type { Address, EgressRecord, OutgoingMessage } from "@statefun-ts/protocol";
import type { DeclaredValue, StateDeclarations } from "./value-spec.js";

/**
 * Typed storage of one address: one property per declared value. Reading gives the value or
 * `undefined` when there is none (or it expired); assigning a value writes it; assigning
 * `undefined` deletes it. Values of mutable types (JSON, custom) are copies: change a read object
 * and assign it back to persist the change.
 */
export type Storage<S extends StateDeclarations> = {
  -readonly [K in keyof S]: DeclaredValue<S[K]> | undefined;
};

/** What a function can see and do while it handles a message. */
export interface Context<S extends StateDeclarations = StateDeclarations> {
  /** The address of the running function instance. */
  readonly self: Address;
  /** The function that sent the current message, or `undefined` when it came from an ingress. */
  readonly caller: Address | undefined;
  /** The instance's persisted values. */
  readonly storage: Storage<S>;
  /** Sends a message (built with `messageBuilder`) to a function. */
  send(message: OutgoingMessage): void;
  /**
   * Sends a message after a delay.
   *
   * @param delayMs - delay in milliseconds (a whole number ≥ 0), counted from when the runtime
   *   applies the invocation's effects.
   * @param cancellationToken - a non-empty token, unique among this address's pending delayed
   *   messages, with which {@link cancelDelayedMessage} can cancel the message.
   */
  sendAfter(delayMs: number, message: OutgoingMessage, cancellationToken?: string): void;
  /** Cancels a pending delayed message of this address; no-op when it already fired or never existed. */
  cancelDelayedMessage(cancellationToken: string): void;
  /** Sends a record to an egress (built with `egressMessageBuilder` or a connector helper). */
  sendEgress(message: EgressRecord): void;
}
