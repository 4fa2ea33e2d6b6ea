/**
 * fast-check arbitraries of protocol messages: unicode strings (ids with `/`, astral code
 * points), typed values with and without value and with empty bytes, batches, every mutation and
 * expiration kind including enum values no SDK writes, and int64 fields as numbers from 0 to 2^31
 * and over the whole safe-integer range (negative included).
 */
import fc from "fast-check";
import type {
  DelayedInvocation,
  EgressMessage,
  ExpirationSpec,
  FromFunction,
  FromFunctionInvocation,
  InvocationResponse,
  KafkaProducerRecord,
  KinesisEgressRecord,
  PersistedValue,
  PersistedValueMutation,
  PersistedValueSpec,
  ToFunction,
  ToFunctionInvocation,
  WireAddress,
  WireTypedValue,
} from "../src/index.js";

const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
  fc.constantFrom("", "Bob", "example", "io.statefun.types/int", "Zoë 🚀"),
);

const bytes = fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 40 }));

/** An int64 field value as a number. */
export const int64 = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 31 }),
  fc.maxSafeInteger(),
  fc.constantFrom(0, 1, -1, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
);

/** An enum field value: mostly the declared values, sometimes any int32. */
const enumValue = (declared: number[]) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...declared), weight: 4 },
    { arbitrary: fc.integer(), weight: 1 },
  );

/** An address; ids may contain `/` and any unicode. */
export const address: fc.Arbitrary<WireAddress> = fc.record({
  namespace: text,
  type: text,
  id: fc.oneof(text, fc.constantFrom("a/b", "/", "tenant/42/Zoë 🚀")),
});

/** A typed value: with or without value, with empty or non-empty bytes. */
export const typedValue: fc.Arbitrary<WireTypedValue> = fc.oneof(
  fc.record({ typename: text, hasValue: fc.constant(true), value: bytes }),
  fc.record({
    typename: text,
    hasValue: fc.constant(false),
    value: fc.constant(new Uint8Array(0)),
  }),
  fc.record({ typename: text, hasValue: fc.boolean(), value: bytes }),
);

const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: null });

const persistedValue: fc.Arbitrary<PersistedValue> = fc.record({
  stateName: text,
  stateValue: optional(typedValue),
});

const toInvocation: fc.Arbitrary<ToFunctionInvocation> = fc.record({
  caller: optional(address),
  argument: optional(typedValue),
});

/** A request: no request at all, or a batch of up to 6 invocations with up to 4 states. */
export const toFunction: fc.Arbitrary<ToFunction> = fc.record({
  invocation: optional(
    fc.record({
      target: optional(address),
      state: fc.array(persistedValue, { maxLength: 4 }),
      invocations: fc.array(toInvocation, { maxLength: 6 }),
    }),
  ),
});

const mutation: fc.Arbitrary<PersistedValueMutation> = fc.record({
  mutationType: enumValue([0, 1]),
  stateName: text,
  stateValue: optional(typedValue),
});

const outgoing: fc.Arbitrary<FromFunctionInvocation> = fc.record({
  target: optional(address),
  argument: optional(typedValue),
});

const delayed: fc.Arbitrary<DelayedInvocation> = fc.oneof(
  fc.record({
    isCancellationRequest: fc.constant(false),
    cancellationToken: fc.oneof(fc.constant(""), text),
    delayInMs: int64,
    target: optional(address),
    argument: optional(typedValue),
  }),
  fc.record({
    isCancellationRequest: fc.constant(true),
    cancellationToken: text,
    delayInMs: fc.constant(0),
  }),
  fc.record({
    isCancellationRequest: fc.boolean(),
    cancellationToken: text,
    delayInMs: int64,
    target: optional(address),
    argument: optional(typedValue),
  }),
);

const egress: fc.Arbitrary<EgressMessage> = fc.record({
  egressNamespace: text,
  egressType: text,
  argument: optional(typedValue),
});

const response: fc.Arbitrary<InvocationResponse> = fc.record({
  stateMutations: fc.array(mutation, { maxLength: 4 }),
  outgoingMessages: fc.array(outgoing, { maxLength: 4 }),
  delayedInvocations: fc.array(delayed, { maxLength: 4 }),
  outgoingEgresses: fc.array(egress, { maxLength: 3 }),
});

const expiration: fc.Arbitrary<ExpirationSpec> = fc.record({
  mode: enumValue([0, 1, 2]),
  expireAfterMillis: int64,
});

const spec: fc.Arbitrary<PersistedValueSpec> = fc.record({
  stateName: text,
  expirationSpec: optional(expiration),
  typeTypename: text,
});

/** A response: an InvocationResponse, an IncompleteInvocationContext, or nothing. */
export const fromFunction: fc.Arbitrary<FromFunction> = fc.oneof(
  { arbitrary: fc.record({ invocationResult: response }), weight: 4 },
  {
    arbitrary: fc.record({
      incompleteInvocationContext: fc.record({ missingValues: fc.array(spec, { maxLength: 5 }) }),
    }),
    weight: 2,
  },
  { arbitrary: fc.constant({}), weight: 1 },
);

/** A Kafka egress payload; an empty key means "no key". */
export const kafkaProducerRecord: fc.Arbitrary<KafkaProducerRecord> = fc.record({
  key: text,
  valueBytes: bytes,
  topic: text,
});

/** A Kinesis egress payload; an empty explicit hash key means "not set". */
export const kinesisEgressRecord: fc.Arbitrary<KinesisEgressRecord> = fc.record({
  partitionKey: text,
  valueBytes: bytes,
  stream: text,
  explicitHashKey: fc.oneof(
    fc.constant(""),
    fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }).map(String),
  ),
});
