/**
 * The invoker of a remote function type: builds the `ToFunction` request for a batch (every
 * registered state of the address plus the batch's messages), sends it through the endpoint's
 * transport, and turns the reply into effects or the list of state specs to register first.
 */
import type { Address, InvocationInput, StateSpec, TypedValue } from "@statefun-ts/protocol";
import { buildToFunction, encodeToFunction, parseFromFunction } from "@statefun-ts/protocol";
import type { FunctionInvoker, InvokeOutcome } from "../core/function-invoker.js";
import type { EndpointTarget } from "./endpoint-url.js";
import type { HttpTransport } from "./http-transport.js";

/** Builds the invoker of one function type served by an endpoint. */
export function createRemoteInvoker(
  typename: string,
  target: EndpointTarget,
  transport: HttpTransport,
  maxNumBatchRequests: number,
): FunctionInvoker {
  return {
    typename,
    kind: "remote",
    declaredSpecs: [],
    maxBacklogPerAddress: maxNumBatchRequests,
    async invoke(
      self: Address,
      specs: readonly StateSpec[],
      state: (TypedValue | undefined)[],
      batch: readonly InvocationInput[],
    ): Promise<InvokeOutcome> {
      const request = buildToFunction(
        self,
        specs.map((spec, index) => ({ name: spec.name, value: state[index] })),
        batch,
      );
      const reply = await transport.call(target, encodeToFunction(request));
      return parseFromFunction(reply);
    },
    describe: () => target.url,
  };
}
