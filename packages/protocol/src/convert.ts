/**
 * Conversions between the wire messages ({@link ./messages.ts}) and the domain shapes
 * ({@link ./effects.ts}, `Address`, `TypedValue`). Decoding validates what the wire format leaves
 * optional but the protocol requires (targets, arguments), failing with `protocol-error`.
 */
import type { Address } from "./address.js";
import { StatefunError } from "./errors.js";
import type {
  DelayedAction,
  EgressRecord,
  Expiration,
  InvocationEffects,
  InvocationInput,
  OutgoingMessage,
  StateMutation,
  StateSpec,
} from "./effects.js";
import { NO_EXPIRATION } from "./effects.js";
import type {
  DelayedInvocation,
  ExpirationSpec,
  FromFunction,
  InvocationBatchRequest,
  InvocationResponse,
  PersistedValue,
  PersistedValueSpec,
  ToFunction,
  WireAddress,
  WireTypedValue,
} from "./messages.js";
import { ExpireMode, MutationType } from "./messages.js";
import { TypedValue } from "./typed-value.js";
import { BUILTIN_TYPENAMES } from "./builtin-types.js";

function missing(what: string): StatefunError {
  return new StatefunError("protocol-error", `malformed message: ${what} is missing`);
}

/** Converts an address to its wire form. */
export function toWireAddress(address: Address): WireAddress {
  return { namespace: address.namespace, type: address.name, id: address.id };
}

/** Converts a wire address; `what` names the field for errors. */
export function fromWireAddress(wire: WireAddress | null | undefined, what: string): Address {
  if (wire === null || wire === undefined) throw missing(what);
  if (wire.namespace === "" || wire.type === "") {
    throw new StatefunError(
      "protocol-error",
      `malformed message: ${what} has an empty namespace or type`,
    );
  }
  return {
    namespace: wire.namespace,
    name: wire.type,
    id: wire.id,
    typename: `${wire.namespace}/${wire.type}`,
  };
}

/** Converts a typed value to its wire form. */
export function toWireTypedValue(value: TypedValue): WireTypedValue {
  return { typename: value.typename, hasValue: value.hasValue, value: value.bytes };
}

/** Converts a wire typed value; `what` names the field for errors. */
export function fromWireTypedValue(
  wire: WireTypedValue | null | undefined,
  what: string,
): TypedValue {
  if (wire === null || wire === undefined) throw missing(what);
  return wire.hasValue
    ? TypedValue.fromBytes(wire.typename, wire.value)
    : TypedValue.absent(wire.typename);
}

/** Builds the `ToFunction` request for a batch of invocations of one address. */
export function buildToFunction(
  target: Address,
  state: readonly { readonly name: string; readonly value: TypedValue | undefined }[],
  invocations: readonly InvocationInput[],
): ToFunction {
  const persisted: PersistedValue[] = state.map((s) =>
    s.value === undefined
      ? { stateName: s.name }
      : { stateName: s.name, stateValue: toWireTypedValue(s.value) },
  );
  return {
    invocation: {
      target: toWireAddress(target),
      state: persisted,
      invocations: invocations.map((i) =>
        i.caller === undefined
          ? { argument: toWireTypedValue(i.argument) }
          : { caller: toWireAddress(i.caller), argument: toWireTypedValue(i.argument) },
      ),
    },
  };
}

/** A `ToFunction` request in domain terms. */
export interface ParsedToFunction {
  readonly target: Address;
  /** State values by name; a name mapped to `undefined` is registered but has no value. */
  readonly state: ReadonlyMap<string, TypedValue | undefined>;
  readonly invocations: readonly InvocationInput[];
}

/** Validates and converts a decoded `ToFunction`. */
export function parseToFunction(message: ToFunction): ParsedToFunction {
  const batch: InvocationBatchRequest | null | undefined = message.invocation;
  if (batch === null || batch === undefined) throw missing("ToFunction.invocation");
  const target = fromWireAddress(batch.target, "InvocationBatchRequest.target");
  const state = new Map<string, TypedValue | undefined>();
  for (const value of batch.state) {
    const wire = value.stateValue;
    state.set(
      value.stateName,
      wire === null || wire === undefined || !wire.hasValue
        ? undefined
        : TypedValue.fromBytes(wire.typename, wire.value),
    );
  }
  const invocations = batch.invocations.map((invocation, index) => ({
    caller:
      invocation.caller === null || invocation.caller === undefined
        ? undefined
        : fromWireAddress(invocation.caller, `invocations[${index}].caller`),
    argument: fromWireTypedValue(invocation.argument, `invocations[${index}].argument`),
  }));
  return { target, state, invocations };
}

function toWireExpiration(expiration: Expiration): ExpirationSpec | undefined {
  switch (expiration.mode) {
    case "none":
      return undefined;
    case "after-write":
      return { mode: ExpireMode.AFTER_WRITE, expireAfterMillis: expiration.afterMs };
    case "after-invoke":
      return { mode: ExpireMode.AFTER_INVOKE, expireAfterMillis: expiration.afterMs };
  }
}

/** Converts a wire expiration spec (absent or mode NONE: never expires). */
export function fromWireExpiration(spec: ExpirationSpec | null | undefined): Expiration {
  if (spec === null || spec === undefined) return NO_EXPIRATION;
  switch (spec.mode) {
    case ExpireMode.NONE:
      return NO_EXPIRATION;
    case ExpireMode.AFTER_WRITE:
      return { mode: "after-write", afterMs: spec.expireAfterMillis };
    case ExpireMode.AFTER_INVOKE:
      return { mode: "after-invoke", afterMs: spec.expireAfterMillis };
    default:
      throw new StatefunError("protocol-error", `unknown expiration mode ${spec.mode}`);
  }
}

/** Builds the `FromFunction` that asks the runtime to register missing state specs. */
export function buildIncompleteInvocationContext(missingSpecs: readonly StateSpec[]): FromFunction {
  return {
    incompleteInvocationContext: {
      missingValues: missingSpecs.map((spec) => {
        const wire: PersistedValueSpec = { stateName: spec.name, typeTypename: spec.typename };
        const expiration = toWireExpiration(spec.expiration);
        if (expiration !== undefined) wire.expirationSpec = expiration;
        return wire;
      }),
    },
  };
}

/** Converts the missing specs of an `IncompleteInvocationContext`; empty typenames become `io.statefun.types/unset`. */
export function parseMissingSpecs(specs: readonly PersistedValueSpec[]): StateSpec[] {
  return specs.map((spec) => ({
    name: spec.stateName,
    typename: spec.typeTypename === "" ? BUILTIN_TYPENAMES.unset : spec.typeTypename,
    expiration: fromWireExpiration(spec.expirationSpec),
  }));
}

/** Builds the `FromFunction` carrying the effects of an executed batch. */
export function buildInvocationResult(effects: InvocationEffects): FromFunction {
  const response: InvocationResponse = {
    stateMutations: effects.stateMutations.map((m) =>
      m.value === undefined
        ? { mutationType: MutationType.DELETE, stateName: m.name }
        : {
            mutationType: MutationType.MODIFY,
            stateName: m.name,
            stateValue: toWireTypedValue(m.value),
          },
    ),
    outgoingMessages: effects.messages.map((m) => ({
      target: toWireAddress(m.target),
      argument: toWireTypedValue(m.value),
    })),
    delayedInvocations: effects.delayed.map((d): DelayedInvocation => {
      if (d.kind === "cancel") {
        return {
          isCancellationRequest: true,
          cancellationToken: d.cancellationToken,
          delayInMs: 0,
        };
      }
      return {
        isCancellationRequest: false,
        cancellationToken: d.cancellationToken ?? "",
        delayInMs: d.delayMs,
        target: toWireAddress(d.message.target),
        argument: toWireTypedValue(d.message.value),
      };
    }),
    outgoingEgresses: effects.egress.map((e) => {
      const slash = e.egress.indexOf("/");
      return {
        egressNamespace: e.egress.slice(0, slash),
        egressType: e.egress.slice(slash + 1),
        argument: toWireTypedValue(e.value),
      };
    }),
  };
  return { invocationResult: response };
}

/** Validates and converts an `InvocationResponse`. */
export function parseInvocationResponse(response: InvocationResponse): InvocationEffects {
  const stateMutations: StateMutation[] = response.stateMutations.map((m, index) => {
    switch (m.mutationType) {
      case MutationType.DELETE:
        return { name: m.stateName, value: undefined };
      case MutationType.MODIFY: {
        const wire = m.stateValue;
        if (wire === null || wire === undefined)
          throw missing(`stateMutations[${index}].stateValue`);
        // The official runtime stores the bytes even when has_value is false (reference §1.5).
        return { name: m.stateName, value: TypedValue.fromBytes(wire.typename, wire.value) };
      }
      default:
        throw new StatefunError(
          "protocol-error",
          `stateMutations[${index}] has unknown mutation type ${m.mutationType}`,
        );
    }
  });
  const messages: OutgoingMessage[] = response.outgoingMessages.map((m, index) => ({
    target: fromWireAddress(m.target, `outgoingMessages[${index}].target`),
    value: fromWireTypedValue(m.argument, `outgoingMessages[${index}].argument`),
  }));
  const delayed: DelayedAction[] = response.delayedInvocations.map((d, index) => {
    if (d.isCancellationRequest) {
      return { kind: "cancel", cancellationToken: d.cancellationToken };
    }
    return {
      kind: "send",
      delayMs: d.delayInMs,
      message: {
        target: fromWireAddress(d.target, `delayedInvocations[${index}].target`),
        value: fromWireTypedValue(d.argument, `delayedInvocations[${index}].argument`),
      },
      cancellationToken: d.cancellationToken === "" ? undefined : d.cancellationToken,
    };
  });
  const egress: EgressRecord[] = response.outgoingEgresses.map((e, index) => ({
    egress: `${e.egressNamespace}/${e.egressType}`,
    value: fromWireTypedValue(e.argument, `outgoingEgresses[${index}].argument`),
  }));
  return { stateMutations, messages, delayed, egress };
}

/** The outcome of a remote call in domain terms. */
export type ParsedFromFunction =
  | { readonly kind: "result"; readonly effects: InvocationEffects }
  | { readonly kind: "incomplete"; readonly missing: readonly StateSpec[] };

const NO_EFFECTS: InvocationEffects = Object.freeze({
  stateMutations: [],
  messages: [],
  delayed: [],
  egress: [],
});

/** Converts a decoded `FromFunction`; an unset response is an empty result (reference §1.5). */
export function parseFromFunction(message: FromFunction): ParsedFromFunction {
  const incomplete = message.incompleteInvocationContext;
  if (incomplete !== null && incomplete !== undefined) {
    return { kind: "incomplete", missing: parseMissingSpecs(incomplete.missingValues) };
  }
  const result = message.invocationResult;
  if (result === null || result === undefined) return { kind: "result", effects: NO_EFFECTS };
  return { kind: "result", effects: parseInvocationResponse(result) };
}
