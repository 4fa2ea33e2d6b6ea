/**
 * Embedded functions: functions bound in an SDK registry, invoked in this process without
 * serializing messages or state between them.
 */
import type { StatefulFunctions } from "@statefun-ts/sdk";
import { invokeBatch } from "@statefun-ts/sdk";
import type { InvocationEffects } from "@statefun-ts/protocol";
import type { FunctionInvoker, FunctionProvider, InvokeOutcome } from "./function-invoker.js";

function asOutcome(effects: InvocationEffects): InvokeOutcome {
  return { kind: "result", effects };
}

/** Options of {@link createEmbeddedProvider}. */
export interface EmbeddedProviderOptions {
  /** Backlog per address at which ingress for it waits; ≤ 0 for no bound. Default: 1000. */
  readonly maxBacklogPerAddress?: number;
}

/** A provider for the functions bound in `registries` (a later registry wins for the same type). */
export function createEmbeddedProvider(
  registries: readonly StatefulFunctions[],
  options: EmbeddedProviderOptions = {},
): FunctionProvider {
  const maxBacklogPerAddress = options.maxBacklogPerAddress ?? 1000;
  const invokers = new Map<string, FunctionInvoker>();
  for (const registry of registries) {
    for (const bound of registry.list()) {
      invokers.set(bound.typename, {
        typename: bound.typename,
        kind: "embedded",
        declaredSpecs: bound.specs,
        maxBacklogPerAddress,
        invoke(self, _specs, state, batch) {
          const effects = invokeBatch(bound, self, state, batch);
          return effects instanceof Promise ? effects.then(asOutcome) : asOutcome(effects);
        },
        describe: () => `embedded ${bound.typename}`,
      });
    }
  }
  return { resolve: (typename) => invokers.get(typename) };
}
