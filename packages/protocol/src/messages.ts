/**
 * The request-reply protocol messages as plain TypeScript shapes (field names in camelCase as in
 * the .proto files). Decoded messages are read through these shapes; messages to encode are built
 * as plain objects of these shapes. Optional message fields are `null` or `undefined` when absent.
 */

/** `io.statefun.sdk.reqreply.Address`. */
export interface WireAddress {
  namespace: string;
  type: string;
  id: string;
}

/** `io.statefun.sdk.reqreply.TypedValue`. */
export interface WireTypedValue {
  typename: string;
  hasValue: boolean;
  value: Uint8Array;
}

/** `ToFunction.PersistedValue`: one registered state of the target address. */
export interface PersistedValue {
  stateName: string;
  /** Absent when the state currently has no value. */
  stateValue?: WireTypedValue | null;
}

/** `ToFunction.Invocation`: one message for the target address. */
export interface ToFunctionInvocation {
  /** The sending function; absent for messages from an ingress. */
  caller?: WireAddress | null;
  argument?: WireTypedValue | null;
}

/** `ToFunction.InvocationBatchRequest`. */
export interface InvocationBatchRequest {
  target?: WireAddress | null;
  state: PersistedValue[];
  invocations: ToFunctionInvocation[];
}

/** `ToFunction`: the request body the runtime POSTs to a remote function. */
export interface ToFunction {
  invocation?: InvocationBatchRequest | null;
}

/** Values of `FromFunction.PersistedValueMutation.MutationType`. */
export const MutationType = { DELETE: 0, MODIFY: 1 } as const;
/** A {@link MutationType} value. */
export type MutationTypeValue = (typeof MutationType)[keyof typeof MutationType];

/** `FromFunction.PersistedValueMutation`. */
export interface PersistedValueMutation {
  /** A {@link MutationType} value; other numbers may arrive from a faulty peer. */
  mutationType: number;
  stateName: string;
  /** Only for MODIFY. */
  stateValue?: WireTypedValue | null;
}

/** `FromFunction.Invocation`: a message the function sends. */
export interface FromFunctionInvocation {
  target?: WireAddress | null;
  argument?: WireTypedValue | null;
}

/** `FromFunction.DelayedInvocation`: a delayed message or the cancellation of one. */
export interface DelayedInvocation {
  isCancellationRequest: boolean;
  cancellationToken: string;
  delayInMs: number;
  target?: WireAddress | null;
  argument?: WireTypedValue | null;
}

/** `FromFunction.EgressMessage`. */
export interface EgressMessage {
  egressNamespace: string;
  egressType: string;
  argument?: WireTypedValue | null;
}

/** `FromFunction.InvocationResponse`: the effects of a whole batch. */
export interface InvocationResponse {
  stateMutations: PersistedValueMutation[];
  outgoingMessages: FromFunctionInvocation[];
  delayedInvocations: DelayedInvocation[];
  outgoingEgresses: EgressMessage[];
}

/** Values of `FromFunction.ExpirationSpec.ExpireMode`. */
export const ExpireMode = { NONE: 0, AFTER_WRITE: 1, AFTER_INVOKE: 2 } as const;
/** An {@link ExpireMode} value. */
export type ExpireModeValue = (typeof ExpireMode)[keyof typeof ExpireMode];

/** `FromFunction.ExpirationSpec`. */
export interface ExpirationSpec {
  /** An {@link ExpireMode} value. */
  mode: number;
  expireAfterMillis: number;
}

/** `FromFunction.PersistedValueSpec`: a state the function declares. */
export interface PersistedValueSpec {
  stateName: string;
  expirationSpec?: ExpirationSpec | null;
  typeTypename: string;
}

/** `FromFunction.IncompleteInvocationContext`. */
export interface IncompleteInvocationContext {
  missingValues: PersistedValueSpec[];
}

/** `FromFunction`: the response body of a remote function. */
export interface FromFunction {
  invocationResult?: InvocationResponse | null;
  incompleteInvocationContext?: IncompleteInvocationContext | null;
}

/** `io.statefun.sdk.egress.KafkaProducerRecord`. */
export interface KafkaProducerRecord {
  /** Empty means a record without a key. */
  key: string;
  valueBytes: Uint8Array;
  topic: string;
}

/** `io.statefun.sdk.egress.KinesisEgressRecord`. */
export interface KinesisEgressRecord {
  partitionKey: string;
  valueBytes: Uint8Array;
  stream: string;
  /** Empty means not set. */
  explicitHashKey: string;
}

/** Typename of a {@link KafkaProducerRecord} egress payload. */
export const KAFKA_PRODUCER_RECORD_TYPENAME =
  "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord";
/** Typename of a {@link KinesisEgressRecord} egress payload. */
export const KINESIS_EGRESS_RECORD_TYPENAME =
  "type.googleapis.com/io.statefun.sdk.egress.KinesisEgressRecord";
