/**
 * The function registry: bind function types to handlers and value specs. The same registry is
 * loaded by the runtime (embedded functions) and served by the HTTP handler (remote functions).
 */
import type {
  Address,
  InvocationEffects,
  InvocationInput,
  TypedValue,
} from "@statefun-ts/protocol";
import { StatefunError, parseTypeName } from "@statefun-ts/protocol";
import type { Context, Storage } from "./context.js";
import { BatchContext, StateCells, checkStateTypes, storageClassFor } from "./context-impl.js";
import type { Message } from "./message.js";
import { IncomingMessage } from "./message.js";
import type { CheckedDeclarations, StateDeclarations, ValueSpec } from "./value-spec.js";
import { resolveValueSpecs } from "./value-spec.js";

/** A function's handler: called once per message, sequentially per address. */
export type StatefulFunction<S extends StateDeclarations> = (
  context: Context<S>,
  message: Message,
) => void | Promise<void>;

/** What {@link StatefulFunctions.bind} takes. */
export interface FunctionDefinition<S extends StateDeclarations> {
  /** The function type, `<namespace>/<name>`. */
  readonly typename: string;
  /**
   * The values the function persists, by name. Default: none. Each value's migrations must
   * produce values of its type.
   */
  readonly state?: S & NoInfer<CheckedDeclarations<S>>;
  /** The handler. */
  readonly fn: StatefulFunction<S>;
}

/** A function type bound in a registry, with resolved value specs. */
export interface BoundFunction {
  readonly typename: string;
  readonly specs: readonly ValueSpec[];
  /** @internal the handler */
  readonly fn: StatefulFunction<StateDeclarations>;
  /** @internal the storage class built from the specs */
  readonly storageClass: new (cells: StateCells) => Storage<StateDeclarations>;
}

/** A registry of function types. */
export interface StatefulFunctions {
  /**
   * Binds a function type. Binding a typename again replaces the earlier binding.
   *
   * @throws StatefunError `invalid-typename` or `invalid-argument` for a bad typename or value spec.
   */
  bind<S extends StateDeclarations>(definition: FunctionDefinition<S>): StatefulFunctions;
  /** The binding of a typename, if any. */
  get(typename: string): BoundFunction | undefined;
  /** Every binding, in binding order. */
  list(): readonly BoundFunction[];
}

/** Creates an empty function registry. */
export function createStatefulFunctions(): StatefulFunctions {
  const bound = new Map<string, BoundFunction>();
  const registry: StatefulFunctions = {
    bind<S extends StateDeclarations>(definition: FunctionDefinition<S>) {
      parseTypeName(definition.typename);
      if (typeof definition.fn !== "function") {
        throw new StatefunError(
          "invalid-argument",
          `bind ${definition.typename}: fn must be a function`,
        );
      }
      const specs = resolveValueSpecs(definition.typename, definition.state ?? {});
      bound.set(definition.typename, {
        typename: definition.typename,
        specs,
        fn: definition.fn as unknown as StatefulFunction<StateDeclarations>,
        storageClass: storageClassFor(specs),
      });
      return registry;
    },
    get(typename) {
      return bound.get(typename);
    },
    list() {
      return [...bound.values()];
    },
  };
  return registry;
}

/** True when `value` looks like a registry made by {@link createStatefulFunctions}. */
export function isStatefulFunctions(value: unknown): value is StatefulFunctions {
  const candidate = value as Partial<StatefulFunctions> | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.bind === "function" &&
    typeof candidate.get === "function" &&
    typeof candidate.list === "function"
  );
}

/**
 * Runs a batch of invocations of one address, sequentially, against one shared state view, and
 * returns the batch's effects. Returns synchronously when every handler call returned
 * synchronously. Throws (or rejects) with the handler's error; the effects are then dropped.
 * A value stored with a type its spec migrates from is migrated when read and reported as changed
 * (written back with the current type).
 *
 * @param state - the current value of each spec of `fn`, in spec order; the call takes ownership.
 * @throws StatefunError `type-mismatch`, before any handler runs, when a value has neither its
 *   spec's typename nor one the spec migrates from.
 */
export function invokeBatch(
  fn: BoundFunction,
  self: Address,
  state: (TypedValue | undefined)[],
  invocations: readonly InvocationInput[],
): InvocationEffects | Promise<InvocationEffects> {
  checkStateTypes(self, fn.specs, state);
  const context = new BatchContext(self, new StateCells(self, fn.specs, state), fn.storageClass);
  const handler = fn.fn;
  for (let i = 0; i < invocations.length; i++) {
    const invocation = invocations[i] as InvocationInput;
    context.caller = invocation.caller;
    let result: void | Promise<void>;
    try {
      result = handler(context, new IncomingMessage(self, invocation.argument));
    } catch (error) {
      context.abandon();
      throw error;
    }
    if (result !== undefined && typeof result.then === "function") {
      return continueAsync(handler, context, self, invocations, i, result);
    }
  }
  return context.finish();
}

async function continueAsync(
  handler: StatefulFunction<StateDeclarations>,
  context: BatchContext,
  self: Address,
  invocations: readonly InvocationInput[],
  index: number,
  pending: Promise<void>,
): Promise<InvocationEffects> {
  try {
    await pending;
    for (let i = index + 1; i < invocations.length; i++) {
      const invocation = invocations[i] as InvocationInput;
      context.caller = invocation.caller;
      await handler(context, new IncomingMessage(self, invocation.argument));
    }
  } catch (error) {
    context.abandon();
    throw error;
  }
  return context.finish();
}
