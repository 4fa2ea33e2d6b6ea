/**
 * The function types the admin API shows: every type the runtime knows (its embedded functions
 * from the start, remote ones once resolved by a first message) or that holds state (say after a
 * restart, before its first invocation), with registered value specs, the count of addresses
 * holding state, and the runtime's counters. System tables (`statefun-ts.system/*`) are shown
 * only when asked for. Built only on the public {@link Runtime} API.
 */
import type { Expiration } from "@statefun-ts/protocol";
import type { FunctionTypeStats, Runtime } from "../runtime.js";
import type { FunctionCounters } from "../runtime-stats.js";

/** Typenames of the runtime's internal tables (ingress idempotency keys) start with this. */
export const SYSTEM_TYPENAME_PREFIX = "statefun-ts.system/";

/**
 * What a function type is: `embedded` (a function of this process), `remote` (served by an HTTP
 * endpoint), `unknown` (it holds state, but the runtime has not resolved it: no embedded function
 * has the type and no message reached it yet), `system` (a runtime-internal table).
 */
export type FunctionKind = "embedded" | "remote" | "unknown" | "system";

/** A registered value spec. */
export interface ValueSpecView {
  readonly name: string;
  /** The typename of the value's type. */
  readonly typename: string;
  /** How the value expires; absent when it never does. */
  readonly expiration?: {
    readonly mode: "after-write" | "after-invoke";
    /** Time to live, in ms. */
    readonly afterMs: number;
  };
}

/** One entry of `GET /v1/functions`. Counters are of this process (0 after a restart). */
export interface FunctionView extends FunctionCounters {
  readonly typename: string;
  readonly kind: FunctionKind;
  /** How it is invoked (`embedded <typename>`, the endpoint); `null` until its first message. */
  readonly invoker: string | null;
  /**
   * Registered value specs, in registration order: an embedded function's from the start, a
   * remote function's as negotiated so far (without expiration: the runtime does not report
   * it for them yet); none for `unknown` and `system`.
   */
  readonly states: readonly ValueSpecView[];
  /**
   * Addresses holding state (an address whose values all expired counts until the expiry sweep
   * removes them, about a second).
   */
  readonly addresses: number;
}

/** Options of {@link functionViews}. */
export interface FunctionViewsOptions {
  /** Show system tables too. Default: false. */
  readonly system?: boolean;
}

/** A value spec as shown; `expiration` appears once a source reports it. */
function specView(spec: {
  readonly name: string;
  readonly typename: string;
  readonly expiration?: Expiration;
}): ValueSpecView {
  const { name, typename, expiration } = spec;
  if (expiration === undefined || expiration.mode === "none") return { name, typename };
  return { name, typename, expiration: { mode: expiration.mode, afterMs: expiration.afterMs } };
}

/** True for a runtime-internal table's typename. */
export function isSystemTypename(typename: string): boolean {
  return typename.startsWith(SYSTEM_TYPENAME_PREFIX);
}

/** The value specs of the runtime's embedded functions by typename (a later registry wins). */
function embeddedSpecs(runtime: Runtime): Map<string, ValueSpecView[]> {
  const specs = new Map<string, ValueSpecView[]>();
  for (const registry of runtime.options.functions) {
    for (const bound of registry.list()) specs.set(bound.typename, bound.specs.map(specView));
  }
  return specs;
}

const NO_COUNTERS: FunctionCounters = {
  in: 0,
  outLocal: 0,
  outEgress: 0,
  invocations: 0,
  failures: 0,
  inflight: 0,
  backlog: 0,
  blockedAddresses: 0,
};

function kindOf(typename: string, stats: FunctionTypeStats | undefined, embedded: boolean) {
  if (stats !== undefined) return stats.kind;
  if (embedded) return "embedded";
  return isSystemTypename(typename) ? "system" : "unknown";
}

/**
 * The function types of a runtime, sorted by typename. Read in one synchronous step, so the
 * counts are of one moment: never half of an invocation's effects.
 */
export function functionViews(
  runtime: Runtime,
  options: FunctionViewsOptions = {},
): FunctionView[] {
  const stats = new Map(runtime.functionStats().map((s) => [s.typename, s]));
  const specs = embeddedSpecs(runtime);
  const addresses = new Map(runtime.backend.functionTypes().map((t) => [t.typename, t.addresses]));
  const typenames = [...new Set([...stats.keys(), ...specs.keys(), ...addresses.keys()])]
    .filter((typename) => options.system === true || !isSystemTypename(typename))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return typenames.map((typename): FunctionView => {
    const found = stats.get(typename);
    const declared = specs.get(typename);
    const counters = found ?? NO_COUNTERS;
    return {
      typename,
      kind: kindOf(typename, found, declared !== undefined),
      invoker: found?.invoker ?? null,
      states: declared ?? found?.states.map(specView) ?? [],
      addresses: addresses.get(typename) ?? 0,
      in: counters.in,
      outLocal: counters.outLocal,
      outEgress: counters.outEgress,
      invocations: counters.invocations,
      failures: counters.failures,
      inflight: counters.inflight,
      backlog: counters.backlog,
      blockedAddresses: counters.blockedAddresses,
    };
  });
}

/**
 * True when the runtime knows `typename` (an embedded function, or a type it has resolved) or
 * state of it exists. Never resolves a type, so asking about any name leaves nothing behind.
 */
export function isKnownFunctionType(runtime: Runtime, typename: string): boolean {
  if (runtime.options.functions.some((registry) => registry.get(typename) !== undefined)) {
    return true;
  }
  if (runtime.functionStats().some((s) => s.typename === typename)) return true;
  return runtime.backend.functionTypes().some((t) => t.typename === typename);
}
