/**
 * The egress seam: components that take records out of the runtime.
 */
import type { EgressSink } from "../core/egress.js";
import type { Logger } from "../observability/logger.js";

/** What the runtime offers an egress. */
export interface EgressContext {
  readonly logger: Logger;
  /**
   * True when checkpointing is on: a sink whose own state is checkpointed (see
   * `StatefulComponent`) should acknowledge consumption to its clients only once durable.
   */
  readonly durable: boolean;
  /** Resolves once a checkpoint taken after this call completed (at once without checkpointing). */
  whenDurable(): Promise<void>;
}

/** A sink with a lifecycle. */
export interface Egress extends EgressSink {
  /** Starts the sink (opens ports, connects). */
  start(context: EgressContext): Promise<void>;
  /** Stops the sink after handing over what it holds. */
  stop(): Promise<void>;
  /** Facts for the admin API and logs. */
  describe(): Readonly<Record<string, unknown>>;
}
