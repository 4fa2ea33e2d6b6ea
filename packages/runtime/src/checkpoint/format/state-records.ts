/**
 * The fast decoder of STATE section records, the bulk of a checkpoint: restoring a million
 * addresses decodes a million records. It reads `StateRecord`/`StateValue` (see
 * proto/checkpoint.proto; field numbers below must match it) with protobufjs's reader directly
 * into model records, without intermediate message objects, and it reuses the previous string
 * when the next string's UTF-8 bytes are the same (function types, state names and typenames
 * repeat from record to record), so most strings are never decoded at all. The generated code
 * stays the reference: round-trip and fixture tests decode with this and encode with it.
 */
import protobuf from "protobufjs/minimal.js";
import type { StateRecord, StateValueRecord } from "../model.js";

const WIRE_LENGTH_DELIMITED = 2;
const WIRE_VARINT = 0;

/** Field numbers of `StateRecord`. */
const RECORD = { functionType: 1, id: 2, values: 3 } as const;
/** Field numbers of `StateValue`. */
const VALUE = { name: 1, typename: 2, value: 3, expiresAtMs: 4 } as const;

/** Remembers the last string read per field, to skip decoding repeats. */
class RepeatedStrings {
  private lastBytes: Uint8Array | undefined = undefined;
  private lastText = "";

  read(reader: protobuf.Reader): string {
    const length = reader.uint32();
    const start = reader.pos;
    const end = start + length;
    if (end > reader.len) throw new RangeError(`a string of ${length} bytes runs past the record`);
    reader.pos = end;
    const buf = reader.buf;
    const last = this.lastBytes;
    // Compared in place: a view of the bytes per string read would cost an allocation each.
    if (last !== undefined && last.length === length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (last[i] !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastText;
    }
    // A copy: the bytes read may be in a buffer reused for the next read (the disk backend's).
    this.lastBytes = new Uint8Array(buf.subarray(start, end));
    this.lastText = protobuf.util.utf8.read(buf, start, end);
    return this.lastText;
  }
}

/** An int64 field's value as a number (protobufjs gives a `Long` when `long` is installed). */
function readInt64(reader: protobuf.Reader): number {
  const bits = reader.int64() as unknown as number | { toNumber(): number };
  return typeof bits === "number" ? bits : bits.toNumber();
}

function expectWireType(tag: number, wireType: number, field: string): void {
  if ((tag & 7) !== wireType) throw new TypeError(`field ${field} has wire type ${tag & 7}`);
}

/** Decodes STATE records; one instance per section (its string memory lives as long). */
export class StateRecordDecoder {
  private readonly functionTypes = new RepeatedStrings();
  private readonly names = new RepeatedStrings();
  private readonly typenames = new RepeatedStrings();
  private readonly keepEncodedValues: boolean;

  /**
   * @param keepEncodedValues - also give each record with values its `encodedValues`: the bytes
   *   of its `values` fields, when they end the record (as `StatePayloadWriter` writes it).
   */
  constructor(keepEncodedValues = false) {
    this.keepEncodedValues = keepEncodedValues;
  }

  /** Reads one record of `length` bytes at the reader's position. */
  decode(reader: protobuf.Reader, length: number): StateRecord {
    const end = reader.pos + length;
    let functionType = "";
    let id = "";
    const values: StateValueRecord[] = [];
    // Where the `values` fields start, while no other field follows the first of them.
    let valuesAt = -1;
    let interleaved = false;
    while (reader.pos < end) {
      const at = reader.pos;
      const tag = reader.uint32();
      const field = tag >>> 3;
      if (field === RECORD.values) {
        if (valuesAt < 0) valuesAt = at;
      } else if (valuesAt >= 0) {
        interleaved = true;
      }
      switch (field) {
        case RECORD.functionType:
          expectWireType(tag, WIRE_LENGTH_DELIMITED, "function_type");
          functionType = this.functionTypes.read(reader);
          break;
        case RECORD.id:
          expectWireType(tag, WIRE_LENGTH_DELIMITED, "id");
          id = reader.string();
          break;
        case RECORD.values: {
          expectWireType(tag, WIRE_LENGTH_DELIMITED, "values");
          const valueLength = reader.uint32();
          values.push(this.decodeValue(reader, reader.pos + valueLength));
          break;
        }
        default:
          reader.skipType(tag & 7);
      }
    }
    if (reader.pos !== end) throw new RangeError("a field runs past the end of its record");
    if (this.keepEncodedValues && valuesAt >= 0 && !interleaved) {
      return { functionType, id, values, encodedValues: reader.buf.subarray(valuesAt, end) };
    }
    return { functionType, id, values };
  }

  private decodeValue(reader: protobuf.Reader, end: number): StateValueRecord {
    let name = "";
    let typename = "";
    let value: Uint8Array = EMPTY;
    let expiresAtMs = Infinity;
    while (reader.pos < end) {
      const tag = reader.uint32();
      switch (tag >>> 3) {
        case VALUE.name:
          expectWireType(tag, WIRE_LENGTH_DELIMITED, "name");
          name = this.names.read(reader);
          break;
        case VALUE.typename:
          expectWireType(tag, WIRE_LENGTH_DELIMITED, "typename");
          typename = this.typenames.read(reader);
          break;
        case VALUE.value: {
          expectWireType(tag, WIRE_LENGTH_DELIMITED, "value");
          const length = reader.uint32();
          // A view into the section: the restoring backend decodes or copies it.
          value = reader.buf.subarray(reader.pos, reader.pos + length);
          reader.pos += length;
          break;
        }
        case VALUE.expiresAtMs: {
          expectWireType(tag, WIRE_VARINT, "expires_at_ms");
          expiresAtMs = readInt64(reader);
          break;
        }
        default:
          reader.skipType(tag & 7);
      }
    }
    if (reader.pos !== end) throw new RangeError("a field runs past the end of its value");
    return { name, typename, value, expiresAtMs };
  }
}

const EMPTY = new Uint8Array(0);

/** A state record as a section holds it, and the address it is of. */
export interface EncodedStateRecord {
  /**
   * Equal for two records of the same address and different otherwise; not meant to be read.
   * (The UTF-8 of the function type and the id, with their field tags and lengths, as Latin-1.)
   */
  readonly key: string;
  /** The record's bytes without their length prefix: a view into the bytes read. */
  readonly bytes: Uint8Array;
  /** How many values it holds (none: the address's state was removed). */
  readonly values: number;
  /** The earliest expiration of its values, in ms since the epoch (`Infinity`: none expires). */
  readonly earliestExpiryMs: number;
}

/**
 * Reads one record of `length` bytes at the reader's position without decoding its values: its
 * fields are walked (lengths and wire types checked) and its address taken as a key. For merging
 * files, which copies records as they are. An empty function type or id counts as absent, as the
 * writer leaves it out.
 */
export function scanStateRecord(
  reader: protobuf.Reader,
  length: number,
  latin1: Buffer,
): EncodedStateRecord {
  const start = reader.pos;
  const end = start + length;
  let key = "";
  let idKey = "";
  let values = 0;
  let earliestExpiryMs = Infinity;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.uint32();
    const field = tag >>> 3;
    if (field === RECORD.functionType || field === RECORD.id) {
      expectWireType(tag, WIRE_LENGTH_DELIMITED, field === RECORD.id ? "id" : "function_type");
      const textLength = reader.uint32();
      const textEnd = reader.pos + textLength;
      if (textEnd > end)
        throw new RangeError(`a string of ${textLength} bytes runs past the record`);
      reader.pos = textEnd;
      if (textLength === 0) continue;
      if (field === RECORD.id) idKey = latin1.toString("latin1", at, textEnd);
      else key = latin1.toString("latin1", at, textEnd);
    } else if (field === RECORD.values) {
      expectWireType(tag, WIRE_LENGTH_DELIMITED, "values");
      const valueEnd = reader.uint32() + reader.pos;
      if (valueEnd > end) throw new RangeError("a value runs past the end of its record");
      values++;
      earliestExpiryMs = Math.min(earliestExpiryMs, expiryOf(reader, valueEnd));
    } else {
      reader.skipType(tag & 7);
    }
  }
  if (reader.pos !== end) throw new RangeError("a field runs past the end of its record");
  return { key: key + idKey, bytes: reader.buf.subarray(start, end), values, earliestExpiryMs };
}

/** Reads a `StateValue` up to `end` for its expiration only (`Infinity`: none). */
function expiryOf(reader: protobuf.Reader, end: number): number {
  let expiresAtMs = Infinity;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag >>> 3 === VALUE.expiresAtMs) {
      expectWireType(tag, WIRE_VARINT, "expires_at_ms");
      expiresAtMs = readInt64(reader);
    } else {
      reader.skipType(tag & 7);
    }
  }
  if (reader.pos !== end) throw new RangeError("a field runs past the end of its value");
  return expiresAtMs;
}

/** Decodes one record from its bytes (without their length prefix), as a section reader would. */
export function decodeStateRecord(bytes: Uint8Array): StateRecord {
  return new StateRecordDecoder().decode(protobuf.Reader.create(bytes), bytes.length);
}
