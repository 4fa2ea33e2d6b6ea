/**
 * Canonical forms of protocol messages for comparisons: every field explicit (proto3 defaults
 * filled in, absent sub-messages as `null`), bytes as plain `Uint8Array`s. Decoded protobufjs
 * objects (whose defaults live on prototypes), hand-written messages and messages read back from
 * the official encoder all become comparable with `deepStrictEqual`. Scalars are copied as they
 * are, never coerced, so that an int64 decoded as a `Long` object instead of a number shows up.
 */
import type {
  DelayedInvocation,
  EgressMessage,
  ExpirationSpec,
  FromFunction,
  FromFunctionInvocation,
  KafkaProducerRecord,
  KinesisEgressRecord,
  PersistedValueMutation,
  PersistedValueSpec,
  ToFunction,
  ToFunctionInvocation,
  WireAddress,
  WireTypedValue,
} from "../src/index.js";
import { plainBytes } from "./hex.js";

/** An `Address` with all fields. */
export function canonicalAddress(address: WireAddress | null | undefined): WireAddress | null {
  if (address === null || address === undefined) return null;
  return { namespace: address.namespace, type: address.type, id: address.id };
}

/** A `TypedValue` with all fields. */
export function canonicalTypedValue(
  value: WireTypedValue | null | undefined,
): WireTypedValue | null {
  if (value === null || value === undefined) return null;
  return { typename: value.typename, hasValue: value.hasValue, value: plainBytes(value.value) };
}

/** A `ToFunction` with all fields. */
export function canonicalToFunction(message: ToFunction): ToFunction {
  const batch = message.invocation;
  if (batch === null || batch === undefined) return { invocation: null };
  return {
    invocation: {
      target: canonicalAddress(batch.target),
      state: batch.state.map((state) => ({
        stateName: state.stateName,
        stateValue: canonicalTypedValue(state.stateValue),
      })),
      invocations: batch.invocations.map((invocation): ToFunctionInvocation => ({
        caller: canonicalAddress(invocation.caller),
        argument: canonicalTypedValue(invocation.argument),
      })),
    },
  };
}

function canonicalMutation(mutation: PersistedValueMutation): PersistedValueMutation {
  return {
    mutationType: mutation.mutationType,
    stateName: mutation.stateName,
    stateValue: canonicalTypedValue(mutation.stateValue),
  };
}

function canonicalOutgoing(message: FromFunctionInvocation): FromFunctionInvocation {
  return {
    target: canonicalAddress(message.target),
    argument: canonicalTypedValue(message.argument),
  };
}

function canonicalDelayed(delayed: DelayedInvocation): DelayedInvocation {
  return {
    isCancellationRequest: delayed.isCancellationRequest,
    cancellationToken: delayed.cancellationToken,
    delayInMs: delayed.delayInMs,
    target: canonicalAddress(delayed.target),
    argument: canonicalTypedValue(delayed.argument),
  };
}

function canonicalEgress(egress: EgressMessage): EgressMessage {
  return {
    egressNamespace: egress.egressNamespace,
    egressType: egress.egressType,
    argument: canonicalTypedValue(egress.argument),
  };
}

function canonicalExpiration(spec: ExpirationSpec | null | undefined): ExpirationSpec | null {
  if (spec === null || spec === undefined) return null;
  return { mode: spec.mode, expireAfterMillis: spec.expireAfterMillis };
}

function canonicalSpec(spec: PersistedValueSpec): PersistedValueSpec {
  return {
    stateName: spec.stateName,
    expirationSpec: canonicalExpiration(spec.expirationSpec),
    typeTypename: spec.typeTypename,
  };
}

/** A `FromFunction` with all fields. */
export function canonicalFromFunction(message: FromFunction): FromFunction {
  const result = message.invocationResult;
  const incomplete = message.incompleteInvocationContext;
  return {
    invocationResult:
      result === null || result === undefined
        ? null
        : {
            stateMutations: result.stateMutations.map(canonicalMutation),
            outgoingMessages: result.outgoingMessages.map(canonicalOutgoing),
            delayedInvocations: result.delayedInvocations.map(canonicalDelayed),
            outgoingEgresses: result.outgoingEgresses.map(canonicalEgress),
          },
    incompleteInvocationContext:
      incomplete === null || incomplete === undefined
        ? null
        : { missingValues: incomplete.missingValues.map(canonicalSpec) },
  };
}

/** A `KafkaProducerRecord` with all fields. */
export function canonicalKafkaProducerRecord(record: KafkaProducerRecord): KafkaProducerRecord {
  return { key: record.key, valueBytes: plainBytes(record.valueBytes), topic: record.topic };
}

/** A `KinesisEgressRecord` with all fields. */
export function canonicalKinesisEgressRecord(record: KinesisEgressRecord): KinesisEgressRecord {
  return {
    partitionKey: record.partitionKey,
    valueBytes: plainBytes(record.valueBytes),
    stream: record.stream,
    explicitHashKey: record.explicitHashKey,
  };
}
