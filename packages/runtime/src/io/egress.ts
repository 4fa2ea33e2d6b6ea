/**
 * The egress seam: components that take records out of the runtime.
 */
import type { EgressSink } from "../core/egress.js";
import type { Logger } from "../observability/logger.js";

/** A sink with a lifecycle. */
export interface Egress extends EgressSink {
  /** Starts the sink (opens ports, connects). */
  start(logger: Logger): Promise<void>;
  /** Stops the sink after handing over what it holds. */
  stop(): Promise<void>;
  /** Facts for the admin API and logs. */
  describe(): Readonly<Record<string, unknown>>;
}
