/**
 * Per-function-type figures of a runtime, read from the dispatcher's plain counters at query time
 * (metrics scrapes, the admin API) rather than maintained on the hot path.
 */
import type { Expiration } from "@statefun-ts/protocol";
import type { FunctionTypeRuntime } from "./core/address-slot.js";

/** The counters and gauges of a function type, as metrics and the admin API show them. */
export interface FunctionCounters {
  /** Messages received. */
  readonly in: number;
  /** Messages sent to functions. */
  readonly outLocal: number;
  /** Records sent to egresses. */
  readonly outEgress: number;
  /** Batches invoked successfully. */
  readonly invocations: number;
  /** Failed batch attempts (each retry counts). */
  readonly failures: number;
  /** Batches in flight asynchronously. */
  readonly inflight: number;
  /** Messages queued behind in-flight batches. */
  readonly backlog: number;
  /** Addresses whose backlog reached `maxBacklogPerAddress`. */
  readonly blockedAddresses: number;
}

/** Counters and gauges of one function type. */
export interface FunctionTypeStats extends FunctionCounters {
  readonly typename: string;
  readonly kind: "embedded" | "remote";
  readonly invoker: string;
  /** Registered state specs, with their expiration. */
  readonly states: readonly {
    readonly name: string;
    readonly typename: string;
    readonly expiration: Expiration;
  }[];
}

/** The figures of one function type now. */
export function statsOf(fn: FunctionTypeRuntime): FunctionTypeStats {
  let backlog = 0;
  let blocked = 0;
  const limit = fn.invoker.maxBacklogPerAddress;
  fn.forEachSlot((slot) => {
    backlog += slot.queued;
    if (limit > 0 && slot.queued >= limit) blocked++;
  });
  return {
    typename: fn.typename,
    kind: fn.invoker.kind,
    invoker: fn.invoker.describe(),
    ...fn.counters,
    backlog,
    blockedAddresses: blocked,
    states: fn.specs.map((s) => ({ name: s.name, typename: s.typename, expiration: s.expiration })),
  };
}

/**
 * What became of a message an ingress handed to the runtime: acknowledged (accepted, and durable
 * with checkpointing), a duplicate of an idempotency key seen before (acknowledged without being
 * applied again), not durable (accepted, but checkpoints kept failing), or rejected (unknown
 * function type, stopping, invalid idempotency key).
 */
export type IngressOutcome = "acknowledged" | "duplicate" | "not_durable" | "rejected";

/** One message an ingress handed to the runtime: what became of it, and how long it took. */
export interface IngressSubmission {
  /** The ingress's id. */
  readonly ingress: string;
  readonly outcome: IngressOutcome;
  /** From the ingress's call to the outcome (for an acknowledgement, its latency), in seconds. */
  readonly seconds: number;
}
