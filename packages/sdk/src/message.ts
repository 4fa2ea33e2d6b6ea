/**
 * Messages: what a function receives (`Message`) and the builders of what it sends
 * (`messageBuilder`, `egressMessageBuilder`, and the Kafka, Kinesis and playground egress helpers).
 */
import type { Address, EgressRecord, OutgoingMessage, Type } from "@statefun-ts/protocol";
import {
  KAFKA_PRODUCER_RECORD_TYPENAME,
  KINESIS_EGRESS_RECORD_TYPENAME,
  StatefunError,
  TypedValue,
  addressOf,
  boolType,
  doubleType,
  encodeKafkaProducerRecord,
  encodeKinesisEgressRecord,
  floatType,
  intType,
  longType,
  parseTypeName,
  stringType,
} from "@statefun-ts/protocol";
import { jsonType } from "./types.js";

/** A message delivered to a function. */
export interface Message {
  /** The address the message was sent to (the function's own address). */
  readonly targetAddress: Address;
  /** Typename of the payload. */
  readonly valueTypename: string;
  /** The payload as it travels. */
  readonly typedValue: TypedValue;
  /** False when the payload is "no value" (`has_value = false`). */
  readonly hasValue: boolean;
  /** True when the payload's typename is `type.typename`. */
  is(type: Type<unknown>): boolean;
  /**
   * Decodes the payload.
   *
   * @throws StatefunError `type-mismatch` when the payload has another typename;
   *   `invalid-argument` when it has no value.
   */
  as<T>(type: Type<T>): T;
  isString(): boolean;
  asString(): string;
  isInt(): boolean;
  asInt(): number;
  isLong(): boolean;
  asLong(): bigint;
  isFloat(): boolean;
  asFloat(): number;
  isDouble(): boolean;
  asDouble(): number;
  isBool(): boolean;
  asBool(): boolean;
}

/** A {@link Message} over a typed value. */
export class IncomingMessage implements Message {
  readonly targetAddress: Address;
  readonly typedValue: TypedValue;

  constructor(targetAddress: Address, typedValue: TypedValue) {
    this.targetAddress = targetAddress;
    this.typedValue = typedValue;
  }

  get valueTypename(): string {
    return this.typedValue.typename;
  }

  get hasValue(): boolean {
    return this.typedValue.hasValue;
  }

  is(type: Type<unknown>): boolean {
    return this.typedValue.typename === type.typename;
  }

  as<T>(type: Type<T>): T {
    const value = this.typedValue.as(type);
    if (value === undefined) {
      throw new StatefunError(
        "invalid-argument",
        `the message to ${this.targetAddress.typename}/${this.targetAddress.id} of type ${type.typename} has no value`,
      );
    }
    return value;
  }

  isString(): boolean {
    return this.is(stringType);
  }
  asString(): string {
    return this.as(stringType);
  }
  isInt(): boolean {
    return this.is(intType);
  }
  asInt(): number {
    return this.as(intType);
  }
  isLong(): boolean {
    return this.is(longType);
  }
  asLong(): bigint {
    return this.as(longType);
  }
  isFloat(): boolean {
    return this.is(floatType);
  }
  asFloat(): number {
    return this.as(floatType);
  }
  isDouble(): boolean {
    return this.is(doubleType);
  }
  asDouble(): number {
    return this.as(doubleType);
  }
  isBool(): boolean {
    return this.is(boolType);
  }
  asBool(): boolean {
    return this.as(boolType);
  }
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Picks the type of a value sent without an explicit type: strings → string, booleans → bool,
 * bigints → long, integers in the 32-bit range → int. Anything else needs an explicit type.
 */
function inferType(value: unknown, where: string): Type<unknown> {
  switch (typeof value) {
    case "string":
      return stringType;
    case "boolean":
      return boolType;
    case "bigint":
      return longType;
    case "number":
      if (Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) {
        return intType;
      }
      break;
    default:
      break;
  }
  throw new StatefunError(
    "invalid-argument",
    `${where}: cannot infer the type of ${typeof value} ${String(value)}; pass valueType`,
  );
}

function typedValueOf<T>(value: T, valueType: Type<T> | undefined, where: string): TypedValue {
  if (value === undefined || value === null) {
    throw new StatefunError("invalid-argument", `${where}: value must not be ${String(value)}`);
  }
  return TypedValue.of(valueType ?? (inferType(value, where) as Type<T>), value);
}

/** Options of {@link messageBuilder}. */
export interface MessageOptions<T> {
  /** Typename of the target function type, e.g. `example/greeter`. */
  readonly typename: string;
  /** Id of the target instance (non-empty). */
  readonly id: string;
  /** The payload. */
  readonly value: T;
  /** The payload's type; inferred for strings, booleans, bigints and int32 numbers when absent. */
  readonly valueType?: Type<T>;
}

/** Builds a message to a function, for `context.send` and `context.sendAfter`. */
export function messageBuilder<T>(options: MessageOptions<T>): OutgoingMessage {
  const target = addressOf(options.typename, options.id);
  return { target, value: typedValueOf(options.value, options.valueType, "messageBuilder") };
}

/** Options of {@link egressMessageBuilder}. */
export interface EgressMessageOptions<T> {
  /** The egress id (`<namespace>/<name>`), as declared in module.yaml. */
  readonly typename: string;
  /** The record. */
  readonly value: T;
  /** The record's type. */
  readonly valueType: Type<T>;
}

/** Builds a record for an egress, for `context.sendEgress`. */
export function egressMessageBuilder<T>(options: EgressMessageOptions<T>): EgressRecord {
  parseTypeName(options.typename);
  return {
    egress: options.typename,
    value: typedValueOf(options.value, options.valueType, "egressMessageBuilder"),
  };
}

const encoder = new TextEncoder();

function egressBytes(value: unknown, valueType: Type<unknown> | undefined, where: string) {
  if (valueType !== undefined) return valueType.serialize(value);
  if (typeof value === "string") return encoder.encode(value);
  if (value instanceof Uint8Array) return value;
  if (
    typeof value === "number" &&
    Number.isInteger(value) &&
    value >= INT32_MIN &&
    value <= INT32_MAX
  ) {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setInt32(0, value, false);
    return bytes;
  }
  throw new StatefunError(
    "invalid-argument",
    `${where}: value must be a string, a Uint8Array or an int32 number unless valueType is given`,
  );
}

/** Options of {@link kafkaEgressMessage}. */
export interface KafkaEgressOptions<T> {
  /** The Kafka egress id. */
  readonly typename: string;
  /** The Kafka topic. */
  readonly topic: string;
  /** The record key; absent for a record without key. */
  readonly key?: string;
  /** The record value: bytes, a string (UTF-8), an int32 (4 bytes big-endian) or any value with `valueType`. */
  readonly value: T;
  readonly valueType?: Type<T>;
}

/** Builds a record for a Kafka egress (`KafkaProducerRecord`). */
export function kafkaEgressMessage<T>(options: KafkaEgressOptions<T>): EgressRecord {
  parseTypeName(options.typename);
  const record = encodeKafkaProducerRecord({
    key: options.key ?? "",
    valueBytes: egressBytes(options.value, options.valueType, "kafkaEgressMessage"),
    topic: options.topic,
  });
  return {
    egress: options.typename,
    value: TypedValue.fromBytes(KAFKA_PRODUCER_RECORD_TYPENAME, record),
  };
}

/** Options of {@link kinesisEgressMessage}. */
export interface KinesisEgressOptions<T> {
  /** The Kinesis egress id. */
  readonly typename: string;
  readonly stream: string;
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  /** The record value: bytes, a string (UTF-8), an int32 (4 bytes big-endian) or any value with `valueType`. */
  readonly value: T;
  readonly valueType?: Type<T>;
}

/** Builds a record for a Kinesis egress (`KinesisEgressRecord`). */
export function kinesisEgressMessage<T>(options: KinesisEgressOptions<T>): EgressRecord {
  parseTypeName(options.typename);
  const record = encodeKinesisEgressRecord({
    partitionKey: options.partitionKey,
    valueBytes: egressBytes(options.value, options.valueType, "kinesisEgressMessage"),
    stream: options.stream,
    explicitHashKey: options.explicitHashKey ?? "",
  });
  return {
    egress: options.typename,
    value: TypedValue.fromBytes(KINESIS_EGRESS_RECORD_TYPENAME, record),
  };
}

/** The record the playground egress accepts. */
export interface PlaygroundEgressRecord {
  readonly topic: string;
  readonly payload: string;
}

/** Type of playground egress records: JSON `{topic, payload}` with typename `io.statefun.playground/EgressRecord`. */
export const playgroundEgressRecordType: Type<PlaygroundEgressRecord> =
  jsonType<PlaygroundEgressRecord>("io.statefun.playground/EgressRecord");

/** The id of the playground egress. */
export const PLAYGROUND_EGRESS_ID = "io.statefun.playground/egress";

/** Builds a record for the playground egress: `payload` is appended to `topic`. */
export function playgroundEgressMessage(record: PlaygroundEgressRecord): EgressRecord {
  if (typeof record.topic !== "string" || typeof record.payload !== "string") {
    throw new StatefunError(
      "invalid-argument",
      "playgroundEgressMessage: topic and payload must be strings",
    );
  }
  return {
    egress: PLAYGROUND_EGRESS_ID,
    value: TypedValue.of(playgroundEgressRecordType, {
      topic: record.topic,
      payload: record.payload,
    }),
  };
}
