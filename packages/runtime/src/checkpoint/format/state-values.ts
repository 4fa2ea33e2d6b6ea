/**
 * The values of one address as bytes, for state backends that keep state outside the JS heap:
 * the checkpoint format's `StateRecord` message with only its values, so that disk state, files
 * and checkpoints share one encoding and one fast decoder.
 */
import protobuf from "protobufjs/minimal.js";
import { statefun } from "#gen/checkpoint";
import type { StateValueRecord } from "../model.js";
import { StateRecordDecoder } from "./state-records.js";

const pb = statefun.checkpoint;

/** Encodes the values of one address. */
export function encodeStateValues(values: readonly StateValueRecord[]): Uint8Array {
  const writer = protobuf.Writer.create();
  pb.StateRecord.encode(
    {
      values: values.map((value) =>
        value.expiresAtMs === Infinity
          ? { name: value.name, typename: value.typename, value: value.value }
          : {
              name: value.name,
              typename: value.typename,
              value: value.value,
              expiresAtMs: value.expiresAtMs,
            },
      ),
    },
    writer,
  );
  return writer.finish();
}

/**
 * Decodes bytes made by {@link encodeStateValues}. Values are views into `bytes`: copy (or
 * decode) them before keeping them.
 */
export function decodeStateValues(
  bytes: Uint8Array,
  decoder = new StateRecordDecoder(),
): StateValueRecord[] {
  const reader = protobuf.Reader.create(bytes);
  return decoder.decode(reader, bytes.length).values as StateValueRecord[];
}

export { StateRecordDecoder };
