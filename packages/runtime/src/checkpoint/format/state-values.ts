/**
 * The values of one address as bytes, for state backends that keep state outside the JS heap:
 * the checkpoint format's `StateRecord` message with only its values, so that disk state, files
 * and checkpoints share one encoding and one fast decoder.
 */
import protobuf from "protobufjs/minimal.js";
import { StatefunError } from "@statefun-ts/protocol";
import type { StateValueRecord, StateValueSource } from "../model.js";
import { StatePayloadWriter } from "./state-payload.js";
import { StateRecordDecoder } from "./state-records.js";

function unencodable(what: string): never {
  throw new StatefunError("invalid-argument", `cannot encode state values: ${what}`);
}

/**
 * Encodes the values of addresses one at a time, each into bytes of its own: the checkpoint
 * format's `StateRecord` with only its values. One encoder reuses one buffer.
 */
export class StateValuesEncoder {
  private readonly writer = new StatePayloadWriter(unencodable, false);

  /** Encodes values given as records. */
  records(values: readonly StateValueRecord[]): Uint8Array {
    this.writer.addRecords([{ functionType: "", id: "", values }]);
    return this.writer.takeRecordBody();
  }

  /** Encodes values as a backend keeps them (all of them, expired or not). */
  stored(values: StateValueSource | readonly StateValueSource[] | undefined): Uint8Array {
    this.writer.addAddress("", "", values, -Infinity);
    return this.writer.takeRecordBody();
  }

  /**
   * Encodes the whole record of an address (all of its values, expired or not) with its length
   * prefix, as a checkpoint's state section holds it, into the encoder's buffer: {@link takeRecord}
   * copies it out. From {@link valuesStart} on, its bytes are what {@link stored} encodes of the
   * same values. Records of values that do not expire go into a checkpoint as they are
   * (`StateRecordSink.addEncodedRecords`).
   *
   * @returns its length in bytes, length prefix included
   */
  record(
    functionType: string,
    id: string,
    values: StateValueSource | readonly StateValueSource[] | undefined,
  ): number {
    this.writer.addAddress(functionType, id, values, -Infinity);
    return this.writer.used;
  }

  /** Where the values start in the last {@link record} (after its length, function type and id). */
  get valuesStart(): number {
    return this.writer.lastValuesAt;
  }

  /** Copies the last {@link record} into `target` at `at`. */
  takeRecord(target: Uint8Array, at: number): void {
    this.writer.takeRecord(target, at);
  }
}

/**
 * Decodes bytes made by a {@link StateValuesEncoder}. Values are views into `bytes`: copy (or
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
