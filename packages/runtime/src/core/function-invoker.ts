/**
 * The seam between the dispatcher and the code of a function type: an invoker runs a batch of
 * messages for one address against that address's state and reports the effects (or, for a remote
 * function, the state specs it is missing). Embedded functions and remote endpoints both plug in
 * here through a {@link FunctionProvider}.
 */
import type {
  Address,
  InvocationInput,
  ParsedFromFunction,
  StateSpec,
  TypedValue,
} from "@statefun-ts/protocol";

/** What an invoker reports: the batch's effects, or the state specs that must be registered first. */
export type InvokeOutcome = ParsedFromFunction;

/** Runs batches of one function type. */
export interface FunctionInvoker {
  /** The function type. */
  readonly typename: string;
  /** `embedded` for functions in this process, `remote` for HTTP endpoints. */
  readonly kind: "embedded" | "remote";
  /** State specs known before the first invocation (declared by embedded functions; none for remote ones). */
  readonly declaredSpecs: readonly StateSpec[];
  /**
   * Backlog per address at which ingress for the address waits (`maxNumBatchRequests`); ≤ 0 for
   * no bound.
   */
  readonly maxBacklogPerAddress: number;
  /**
   * Invokes a batch. `state` holds the current value of each of `specs`, in order; the invoker
   * takes ownership of the array. Throws or rejects when the batch failed as a whole.
   */
  invoke(
    self: Address,
    specs: readonly StateSpec[],
    state: (TypedValue | undefined)[],
    batch: readonly InvocationInput[],
  ): InvokeOutcome | Promise<InvokeOutcome>;
  /** A description for logs and the admin API, e.g. the endpoint URL. */
  describe(): string;
}

/** Finds the invoker of a function type. */
export interface FunctionProvider {
  /** The invoker of `typename`, or `undefined` when no function of that type is bound. */
  resolve(typename: string): FunctionInvoker | undefined;
}

/** A provider that asks each of `providers` in order. */
export function composeProviders(providers: readonly FunctionProvider[]): FunctionProvider {
  return {
    resolve(typename) {
      for (const provider of providers) {
        const invoker = provider.resolve(typename);
        if (invoker !== undefined) return invoker;
      }
      return undefined;
    },
  };
}
