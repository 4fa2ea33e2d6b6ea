/**
 * Encoding and decoding of the protocol messages. Pure functions over bytes: no I/O. Decoding
 * failures become `protocol-error`s that say which message could not be read.
 */
import { io } from "#gen";
import { StatefunError } from "./errors.js";
import type {
  FromFunction,
  KafkaProducerRecord,
  KinesisEgressRecord,
  ToFunction,
} from "./messages.js";

const reqreply = io.statefun.sdk.reqreply;
const egress = io.statefun.sdk.egress;

function decodeAs<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    throw new StatefunError(
      "protocol-error",
      `cannot decode ${what}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** Serializes a `ToFunction` request body. */
export function encodeToFunction(message: ToFunction): Uint8Array {
  return reqreply.ToFunction.encode(message).finish();
}

/** Parses a `ToFunction` request body. */
export function decodeToFunction(bytes: Uint8Array): ToFunction {
  return decodeAs("ToFunction", () => reqreply.ToFunction.decode(bytes) as ToFunction);
}

/** Serializes a `FromFunction` response body. */
export function encodeFromFunction(message: FromFunction): Uint8Array {
  return reqreply.FromFunction.encode(message).finish();
}

/** Parses a `FromFunction` response body. A zero-length body is an empty `FromFunction`. */
export function decodeFromFunction(bytes: Uint8Array): FromFunction {
  return decodeAs("FromFunction", () => {
    const message = reqreply.FromFunction.decode(bytes) as FromFunction;
    for (const delayed of message.invocationResult?.delayedInvocations ?? []) {
      delayed.delayInMs = int64ToNumber(delayed.delayInMs);
    }
    for (const spec of message.incompleteInvocationContext?.missingValues ?? []) {
      if (spec.expirationSpec) {
        spec.expirationSpec.expireAfterMillis = int64ToNumber(
          spec.expirationSpec.expireAfterMillis,
        );
      }
    }
    return message;
  });
}

/**
 * The generated decoders return int64 fields (and their defaults) as `Long` objects whenever the
 * `long` package is installed, which it always is (a protobufjs dependency); `--force-number` only
 * changes the declared types. The message shapes promise numbers, so they are converted here
 * (exact up to 2^53, like the official JS SDK).
 */
function int64ToNumber(value: unknown): number {
  if (typeof value === "number") return value;
  return (value as { toNumber(): number }).toNumber();
}

/** Serializes a `KafkaProducerRecord` egress payload. */
export function encodeKafkaProducerRecord(record: KafkaProducerRecord): Uint8Array {
  return egress.KafkaProducerRecord.encode(record).finish();
}

/** Parses a `KafkaProducerRecord` egress payload. */
export function decodeKafkaProducerRecord(bytes: Uint8Array): KafkaProducerRecord {
  return decodeAs("KafkaProducerRecord", () => egress.KafkaProducerRecord.decode(bytes));
}

/** Serializes a `KinesisEgressRecord` egress payload. */
export function encodeKinesisEgressRecord(record: KinesisEgressRecord): Uint8Array {
  return egress.KinesisEgressRecord.encode(record).finish();
}

/** Parses a `KinesisEgressRecord` egress payload. */
export function decodeKinesisEgressRecord(bytes: Uint8Array): KinesisEgressRecord {
  return decodeAs("KinesisEgressRecord", () => egress.KinesisEgressRecord.decode(bytes));
}
