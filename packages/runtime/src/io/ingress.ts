/**
 * The ingress seam: components that bring messages from the outside world into the runtime.
 */
import type { Address, TypedValue } from "@statefun-ts/protocol";
import type { Logger } from "../observability/logger.js";

/** Options of one submission. */
export interface SubmitOptions {
  /**
   * A key the client chose for this message (the `Idempotency-Key` header). A message whose key
   * was seen within the runtime's idempotency window is acknowledged without being applied again,
   * also after a crash and recovery.
   */
  readonly idempotencyKey?: string;
}

/** What the runtime offers an ingress. */
export interface IngressContext {
  /**
   * Hands a message to the runtime. Resolves when the message is accepted: with checkpointing,
   * when it is in a completed checkpoint (durable); without, when it is in the target's mailbox.
   * Waits while the runtime's backlog is full. Rejects with `unknown-function-type` when no
   * function of the target's type exists, `shutdown` while stopping, or `storage-failed` when
   * checkpoints kept failing while it waited (the message stays accepted and may still be
   * applied; a retry with the same idempotency key is applied at most once).
   */
  submit(target: Address, value: TypedValue, options?: SubmitOptions): Promise<void>;
  /** True when acknowledgements mean durability (checkpointing is on). */
  readonly durable: boolean;
  /** True when a function of this type exists. */
  hasFunctionType(typename: string): boolean;
  readonly logger: Logger;
}

/** A source of messages. */
export interface Ingress {
  /** The ingress id, e.g. `io.statefun.playground/ingress`. */
  readonly id: string;
  /** Starts taking messages. */
  start(context: IngressContext): Promise<void>;
  /** Stops taking messages; resolves when in-flight requests are answered. */
  stop(): Promise<void>;
  /** Facts for the admin API and logs (ports, topics, ...). */
  describe(): Readonly<Record<string, unknown>>;
}
