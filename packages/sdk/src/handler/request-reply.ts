/**
 * The request-reply handler: serves a function registry over the StateFun remote protocol, bytes
 * in, bytes out (reference §1.3–1.7). Pure: no sockets, no HTTP; the adapters in `node.ts` and
 * `fetch.ts` only move bytes and map failures to status codes (`http-rules.ts`).
 *
 * Invariants (tests cite them):
 * 1. Dispatch is on the target's namespace and type only, never on the URL.
 * 2. When a declared value spec is missing from the request, the reply is an
 *    `IncompleteInvocationContext` listing only the missing specs, in declaration order, and no
 *    user code runs. Undeclared states in the request are ignored.
 * 3. A present state value whose typename is neither its spec's nor one the spec migrates from
 *    (`migrateFrom`) is refused (`type-mismatch`) before any user code runs: it is never decoded
 *    with the wrong type. A value with a migratable typename is accepted, migrated when read,
 *    and reported as a MODIFY mutation with the spec's typename.
 * 4. Invocations run strictly in order against one shared state view; the reply reports only
 *    changed values (DELETE for deleted ones) and every other effect in call order.
 * 5. A failure of user code rejects with `function-failed` naming the address, the user's error
 *    as `cause`; no partial effects are ever encoded.
 */
import type { Address, InvocationInput, TypedValue } from "@statefun-ts/protocol";
import {
  StatefunError,
  buildIncompleteInvocationContext,
  buildInvocationResult,
  decodeToFunction,
  encodeFromFunction,
  formatAddress,
  isStatefunError,
  parseToFunction,
} from "@statefun-ts/protocol";
import { checkStateTypes } from "../context-impl.js";
import type { BoundFunction, StatefulFunctions } from "../functions.js";
import { invokeBatch, isStatefulFunctions } from "../functions.js";

/** What {@link RequestReplyHandlerOptions.onError} learns about a failed request. */
export interface RequestReplyErrorInfo {
  /** The target address (`namespace/type/id`) when the request could be read that far. */
  readonly target?: string;
}

/** Options of {@link createRequestReplyHandler}. */
export interface RequestReplyHandlerOptions {
  /**
   * Called once for every failed request that is not the request's own fault: user code threw,
   * a state value had the wrong type, the result could not be encoded. These are exactly the
   * failures the HTTP adapters answer with 500. Malformed requests (`protocol-error`) and unknown
   * function types (`unknown-function-type`) are not reported here. Errors thrown by the callback
   * are ignored. Default: none.
   */
  readonly onError?: (error: unknown, info: RequestReplyErrorInfo) => void;
}

/** Serves a function registry over the StateFun request-reply protocol. */
export interface RequestReplyHandler {
  /**
   * Handles one request: `body` is a serialized `ToFunction`, the result a serialized
   * `FromFunction` (an `InvocationResponse`, or an `IncompleteInvocationContext` when the runtime
   * has not yet registered every declared value spec).
   *
   * @throws StatefunError (as a rejection) `protocol-error` for bytes that are not a valid
   *   `ToFunction`; `unknown-function-type` when no function is bound to the target's type;
   *   `type-mismatch` when a state value has another typename than its spec and no migration
   *   from it is declared; `function-failed`
   *   when user code threw (the error is the `cause`) or its results could not be encoded.
   */
  handle(body: Uint8Array): Promise<Uint8Array>;
}

/** True for failures caused by the request itself rather than by the function or the server. */
export function isRequestFault(error: unknown): boolean {
  return (
    isStatefunError(error, "protocol-error") || isStatefunError(error, "unknown-function-type")
  );
}

/**
 * Creates the request-reply handler of a function registry. Functions bound to the registry
 * later are served too (the registry is consulted on every request).
 *
 * @throws StatefunError `invalid-argument` when `functions` is not a registry made by
 *   `createStatefulFunctions` or `onError` is not a function.
 */
export function createRequestReplyHandler(
  functions: StatefulFunctions,
  options: RequestReplyHandlerOptions = {},
): RequestReplyHandler {
  if (!isStatefulFunctions(functions)) {
    throw new StatefunError(
      "invalid-argument",
      "createRequestReplyHandler: expected a registry made by createStatefulFunctions()",
    );
  }
  const onError = options.onError;
  if (onError !== undefined && typeof onError !== "function") {
    throw new StatefunError(
      "invalid-argument",
      `createRequestReplyHandler: onError must be a function, found ${typeof onError}`,
    );
  }
  return {
    async handle(body) {
      let target: Address | undefined;
      try {
        const request = parseToFunction(decodeToFunction(body));
        const self = request.target;
        target = self;
        const bound = findFunction(functions, self);
        const missing = bound.specs.filter((spec) => !request.state.has(spec.name));
        if (missing.length > 0) {
          return encodeFromFunction(buildIncompleteInvocationContext(missing));
        }
        const state = bound.specs.map((spec) => request.state.get(spec.name));
        checkStateTypes(self, bound.specs, state);
        return await runBatch(bound, self, state, request.invocations);
      } catch (error) {
        if (onError !== undefined && !isRequestFault(error)) {
          report(onError, error, target);
        }
        throw error;
      }
    },
  };
}

function report(
  onError: NonNullable<RequestReplyHandlerOptions["onError"]>,
  error: unknown,
  target: Address | undefined,
): void {
  try {
    onError(error, target === undefined ? {} : { target: formatAddress(target) });
  } catch {
    // A failing error hook must not change the reply.
  }
}

function findFunction(functions: StatefulFunctions, target: Address): BoundFunction {
  // Bound typenames have exactly one `/`, so `namespace/type` can only match its own split.
  const bound = functions.get(target.typename);
  if (bound !== undefined) return bound;
  const types = functions.list().map((f) => f.typename);
  throw new StatefunError(
    "unknown-function-type",
    `no function is bound to type ${target.typename} (target ${formatAddress(target)}); bound types: ${types.join(", ") || "none"}`,
    { details: { address: formatAddress(target), typename: target.typename } },
  );
}

async function runBatch(
  bound: BoundFunction,
  target: Address,
  state: (TypedValue | undefined)[],
  invocations: readonly InvocationInput[],
): Promise<Uint8Array> {
  try {
    const effects = await invokeBatch(bound, target, state, invocations);
    // Values of immutable types serialize lazily, so encoding can still run user serializers.
    return encodeFromFunction(buildInvocationResult(effects));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StatefunError(
      "function-failed",
      `invocation of ${formatAddress(target)} failed: ${reason}`,
      { cause: error, details: { address: formatAddress(target) } },
    );
  }
}
