/**
 * The official encoder as a test oracle: converters between our plain message shapes and the
 * google-protobuf classes of the official JavaScript SDK (see official-classes.ts). Converters
 * only call the classes' setters and getters; every byte comes from google-protobuf itself.
 */
import type {
  FromFunction,
  KafkaProducerRecord,
  KinesisEgressRecord,
  ToFunction,
  WireAddress,
  WireTypedValue,
} from "../src/index.js";
import { plainBytes } from "./hex.js";
import { kafka, kinesis, reqreply } from "./official-classes.js";
import type {
  OfficialAddress,
  OfficialClass,
  OfficialFromFunction,
  OfficialKafkaProducerRecord,
  OfficialKinesisEgressRecord,
  OfficialMessage,
  OfficialToFunction,
  OfficialTypedValue,
} from "./official-classes.js";

function create<M extends OfficialMessage>(cls: OfficialClass<M>, fill: (message: M) => void): M {
  const message = new cls();
  fill(message);
  return message;
}

function toAddress(address: WireAddress | null | undefined): OfficialAddress | undefined {
  if (address === null || address === undefined) return undefined;
  return create(reqreply.Address, (m) => {
    m.setNamespace(address.namespace);
    m.setType(address.type);
    m.setId(address.id);
  });
}

function toTypedValue(value: WireTypedValue | null | undefined): OfficialTypedValue | undefined {
  if (value === null || value === undefined) return undefined;
  return create(reqreply.TypedValue, (m) => {
    m.setTypename(value.typename);
    m.setHasValue(value.hasValue);
    m.setValue(value.value);
  });
}

function fromAddress(address: OfficialAddress | undefined): WireAddress | null {
  if (address === undefined) return null;
  return { namespace: address.getNamespace(), type: address.getType(), id: address.getId() };
}

function fromTypedValue(value: OfficialTypedValue | undefined): WireTypedValue | null {
  if (value === undefined) return null;
  return {
    typename: value.getTypename(),
    hasValue: value.getHasValue(),
    value: plainBytes(value.getValue_asU8()),
  };
}

/** Builds the official `ToFunction` holding the same fields as `message`. */
export function toOfficialToFunction(message: ToFunction): OfficialToFunction {
  const T = reqreply.ToFunction;
  return create(T, (m) => {
    const batch = message.invocation;
    if (batch === null || batch === undefined) return;
    m.setInvocation(
      create(T.InvocationBatchRequest, (b) => {
        const target = toAddress(batch.target);
        if (target) b.setTarget(target);
        b.setStateList(
          batch.state.map((state) =>
            create(T.PersistedValue, (s) => {
              s.setStateName(state.stateName);
              const value = toTypedValue(state.stateValue);
              if (value) s.setStateValue(value);
            }),
          ),
        );
        b.setInvocationsList(
          batch.invocations.map((invocation) =>
            create(T.Invocation, (i) => {
              const caller = toAddress(invocation.caller);
              if (caller) i.setCaller(caller);
              const argument = toTypedValue(invocation.argument);
              if (argument) i.setArgument(argument);
            }),
          ),
        );
      }),
    );
  });
}

/** Reads an official `ToFunction` into the canonical plain shape. */
export function fromOfficialToFunction(message: OfficialToFunction): ToFunction {
  const batch = message.getInvocation();
  if (batch === undefined) return { invocation: null };
  return {
    invocation: {
      target: fromAddress(batch.getTarget()),
      state: batch.getStateList().map((s) => ({
        stateName: s.getStateName(),
        stateValue: fromTypedValue(s.getStateValue()),
      })),
      invocations: batch.getInvocationsList().map((i) => ({
        caller: fromAddress(i.getCaller()),
        argument: fromTypedValue(i.getArgument()),
      })),
    },
  };
}

/** Builds the official `FromFunction` holding the same fields as `message`. */
export function toOfficialFromFunction(message: FromFunction): OfficialFromFunction {
  const F = reqreply.FromFunction;
  const withArgument = (
    m: { setArgument(v: OfficialTypedValue): void },
    v?: WireTypedValue | null,
  ) => {
    const argument = toTypedValue(v);
    if (argument) m.setArgument(argument);
  };
  const withTarget = (m: { setTarget(v: OfficialAddress): void }, v?: WireAddress | null) => {
    const target = toAddress(v);
    if (target) m.setTarget(target);
  };
  return create(F, (m) => {
    const result = message.invocationResult;
    if (result !== null && result !== undefined) {
      m.setInvocationResult(
        create(F.InvocationResponse, (r) => {
          r.setStateMutationsList(
            result.stateMutations.map((mutation) =>
              create(F.PersistedValueMutation, (x) => {
                x.setMutationType(mutation.mutationType);
                x.setStateName(mutation.stateName);
                const value = toTypedValue(mutation.stateValue);
                if (value) x.setStateValue(value);
              }),
            ),
          );
          r.setOutgoingMessagesList(
            result.outgoingMessages.map((outgoing) =>
              create(F.Invocation, (x) => {
                withTarget(x, outgoing.target);
                withArgument(x, outgoing.argument);
              }),
            ),
          );
          r.setDelayedInvocationsList(
            result.delayedInvocations.map((delayed) =>
              create(F.DelayedInvocation, (x) => {
                x.setIsCancellationRequest(delayed.isCancellationRequest);
                x.setCancellationToken(delayed.cancellationToken);
                x.setDelayInMs(delayed.delayInMs);
                withTarget(x, delayed.target);
                withArgument(x, delayed.argument);
              }),
            ),
          );
          r.setOutgoingEgressesList(
            result.outgoingEgresses.map((egress) =>
              create(F.EgressMessage, (x) => {
                x.setEgressNamespace(egress.egressNamespace);
                x.setEgressType(egress.egressType);
                withArgument(x, egress.argument);
              }),
            ),
          );
        }),
      );
    }
    const incomplete = message.incompleteInvocationContext;
    if (incomplete !== null && incomplete !== undefined) {
      m.setIncompleteInvocationContext(
        create(F.IncompleteInvocationContext, (c) => {
          c.setMissingValuesList(
            incomplete.missingValues.map((spec) =>
              create(F.PersistedValueSpec, (x) => {
                x.setStateName(spec.stateName);
                x.setTypeTypename(spec.typeTypename);
                const expiration = spec.expirationSpec;
                if (expiration !== null && expiration !== undefined) {
                  x.setExpirationSpec(
                    create(F.ExpirationSpec, (e) => {
                      e.setMode(expiration.mode);
                      e.setExpireAfterMillis(expiration.expireAfterMillis);
                    }),
                  );
                }
              }),
            ),
          );
        }),
      );
    }
  });
}

/** Reads an official `FromFunction` into the canonical plain shape. */
export function fromOfficialFromFunction(message: OfficialFromFunction): FromFunction {
  const result = message.getInvocationResult();
  const incomplete = message.getIncompleteInvocationContext();
  return {
    invocationResult:
      result === undefined
        ? null
        : {
            stateMutations: result.getStateMutationsList().map((x) => ({
              mutationType: x.getMutationType(),
              stateName: x.getStateName(),
              stateValue: fromTypedValue(x.getStateValue()),
            })),
            outgoingMessages: result.getOutgoingMessagesList().map((x) => ({
              target: fromAddress(x.getTarget()),
              argument: fromTypedValue(x.getArgument()),
            })),
            delayedInvocations: result.getDelayedInvocationsList().map((x) => ({
              isCancellationRequest: x.getIsCancellationRequest(),
              cancellationToken: x.getCancellationToken(),
              delayInMs: x.getDelayInMs(),
              target: fromAddress(x.getTarget()),
              argument: fromTypedValue(x.getArgument()),
            })),
            outgoingEgresses: result.getOutgoingEgressesList().map((x) => ({
              egressNamespace: x.getEgressNamespace(),
              egressType: x.getEgressType(),
              argument: fromTypedValue(x.getArgument()),
            })),
          },
    incompleteInvocationContext:
      incomplete === undefined
        ? null
        : {
            missingValues: incomplete.getMissingValuesList().map((x) => {
              const expiration = x.getExpirationSpec();
              return {
                stateName: x.getStateName(),
                expirationSpec:
                  expiration === undefined
                    ? null
                    : {
                        mode: expiration.getMode(),
                        expireAfterMillis: expiration.getExpireAfterMillis(),
                      },
                typeTypename: x.getTypeTypename(),
              };
            }),
          },
  };
}

/** Builds the official `KafkaProducerRecord`. */
export function toOfficialKafkaProducerRecord(
  record: KafkaProducerRecord,
): OfficialKafkaProducerRecord {
  return create(kafka.KafkaProducerRecord, (m) => {
    m.setKey(record.key);
    m.setValueBytes(record.valueBytes);
    m.setTopic(record.topic);
  });
}

/** Reads an official `KafkaProducerRecord`. */
export function fromOfficialKafkaProducerRecord(
  record: OfficialKafkaProducerRecord,
): KafkaProducerRecord {
  return {
    key: record.getKey(),
    valueBytes: plainBytes(record.getValueBytes_asU8()),
    topic: record.getTopic(),
  };
}

/** Builds the official `KinesisEgressRecord`. */
export function toOfficialKinesisEgressRecord(
  record: KinesisEgressRecord,
): OfficialKinesisEgressRecord {
  return create(kinesis.KinesisEgressRecord, (m) => {
    m.setPartitionKey(record.partitionKey);
    m.setValueBytes(record.valueBytes);
    m.setStream(record.stream);
    m.setExplicitHashKey(record.explicitHashKey);
  });
}

/** Reads an official `KinesisEgressRecord`. */
export function fromOfficialKinesisEgressRecord(
  record: OfficialKinesisEgressRecord,
): KinesisEgressRecord {
  return {
    partitionKey: record.getPartitionKey(),
    valueBytes: plainBytes(record.getValueBytes_asU8()),
    stream: record.getStream(),
    explicitHashKey: record.getExplicitHashKey(),
  };
}

/** The official codec for each message kind, as bytes ↔ canonical plain shape. */
export const official = {
  ToFunction: {
    encode: (m: ToFunction) => toOfficialToFunction(m).serializeBinary(),
    decode: (b: Uint8Array) => fromOfficialToFunction(reqreply.ToFunction.deserializeBinary(b)),
  },
  FromFunction: {
    encode: (m: FromFunction) => toOfficialFromFunction(m).serializeBinary(),
    decode: (b: Uint8Array) => fromOfficialFromFunction(reqreply.FromFunction.deserializeBinary(b)),
  },
  KafkaProducerRecord: {
    encode: (m: KafkaProducerRecord) => toOfficialKafkaProducerRecord(m).serializeBinary(),
    decode: (b: Uint8Array) =>
      fromOfficialKafkaProducerRecord(kafka.KafkaProducerRecord.deserializeBinary(b)),
  },
  KinesisEgressRecord: {
    encode: (m: KinesisEgressRecord) => toOfficialKinesisEgressRecord(m).serializeBinary(),
    decode: (b: Uint8Array) =>
      fromOfficialKinesisEgressRecord(kinesis.KinesisEgressRecord.deserializeBinary(b)),
  },
} as const;

/**
 * True when google-protobuf writes `message` in another field order than protobufjs: it writes
 * `DelayedInvocation` fields in declaration order (10, 11, 1, 2, 3), protobufjs by number.
 */
export function writesFieldsOutOfOrder(message: FromFunction): boolean {
  return (message.invocationResult?.delayedInvocations ?? []).some(
    (delayed) => delayed.isCancellationRequest || delayed.cancellationToken !== "",
  );
}
