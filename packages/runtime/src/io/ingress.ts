/**
 * The ingress seam: components that bring messages from the outside world into the runtime.
 */
import type { Address, TypedValue } from "@statefun-ts/protocol";
import type { Logger } from "../observability/logger.js";

/** What the runtime offers an ingress. */
export interface IngressContext {
  /**
   * Hands a message to the runtime. Resolves when the runtime has accepted it; waits while the
   * runtime's backlog is full. Rejects with `unknown-function-type` when no function of the
   * target's type exists, or `shutdown` while stopping.
   */
  submit(target: Address, value: TypedValue): Promise<void>;
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
