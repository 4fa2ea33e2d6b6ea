/**
 * Types for messages and state: the built-in StateFun types, JSON types and custom types.
 */
import type { Type } from "@statefun-ts/protocol";
import { StatefunError, parseTypeName } from "@statefun-ts/protocol";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * A type whose values are UTF-8 JSON text, as `StateFun.jsonType` in the official JS SDK and
 * `make_json_type` in the Python SDK.
 *
 * @param typename - `<namespace>/<name>` carried by values of this type, e.g. `example/GreetRequest`.
 */
export function jsonType<T>(typename: string): Type<T> {
  parseTypeName(typename);
  return {
    typename,
    serialize(value: T): Uint8Array {
      const text = JSON.stringify(value);
      if (text === undefined) {
        throw new StatefunError(
          "invalid-argument",
          `a value of JSON type ${typename} must be JSON-serializable, found ${typeof value}`,
        );
      }
      return encoder.encode(text);
    },
    deserialize(bytes: Uint8Array): T {
      try {
        return JSON.parse(decoder.decode(bytes)) as T;
      } catch (error) {
        throw new StatefunError(
          "protocol-error",
          `cannot decode a value of JSON type ${typename}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
    },
  };
}

/** Options of {@link customType}. */
export interface CustomTypeOptions {
  /**
   * True when values are immutable (so a value may be shared between sender and receiver
   * without serializing). Default: false.
   */
  readonly immutableValues?: boolean;
}

/**
 * A type with a serializer of your own (protobuf messages, binary formats, ...).
 *
 * @param typename - `<namespace>/<name>`; for protobuf messages by convention
 *   `type.googleapis.com/<fully.qualified.Name>`.
 */
export function customType<T>(
  typename: string,
  serialize: (value: T) => Uint8Array,
  deserialize: (bytes: Uint8Array) => T,
  options: CustomTypeOptions = {},
): Type<T> {
  parseTypeName(typename);
  return {
    typename,
    serialize,
    deserialize,
    immutableValues: options.immutableValues ?? false,
  };
}
