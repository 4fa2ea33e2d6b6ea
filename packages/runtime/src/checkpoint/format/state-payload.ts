/**
 * The payload of a state section, written straight into bytes (see payload-bytes.ts). A checkpoint
 * writes one record per changed address, a full one per address holding state: the backends hand
 * their values over as they keep them ({@link StateRecordSink}), with no record object built per
 * address. Field bytes of function types, state names and typenames are cached, as they repeat
 * from record to record. The bytes are those of the generated code for `StateRecord`, which a
 * property test checks; the disk backend stores an address's values with the same encoding.
 */
import protobuf from "protobufjs/minimal.js";
import type { StateRecord, StateRecordSink, StateValueRecord, StateValueSource } from "../model.js";
import {
  FieldCache,
  PayloadBuffer,
  checkedUtf8,
  copyInto,
  int64Length,
  varintLength,
  writeInt64,
  writeVarint,
} from "./payload-bytes.js";
import type { IndexedProblem } from "./payload-bytes.js";
import { StateRecordDecoder, scanStateRecord } from "./state-records.js";

/** Field tags (field number << 3 | wire type) of `StateRecord` and `StateValue`. */
const TAG_FUNCTION_TYPE = 10;
const TAG_ID = 18;
const TAG_VALUES = 26;
const TAG_NAME = 10;
const TAG_TYPENAME = 18;
const TAG_VALUE = 26;
const TAG_EXPIRES_AT = 32;

/** Stored values have no function type or id field, whose bytes a scan would read from this. */
const NO_KEYS = Buffer.alloc(0);

const functionTypeFields = new FieldCache(TAG_FUNCTION_TYPE);
const nameFields = new FieldCache(TAG_NAME);
const typenameFields = new FieldCache(TAG_TYPENAME);

/** Bytes of an id when it is ASCII (written char by char), or -1. */
function asciiLength(text: string): number {
  const length = text.length;
  for (let i = 0; i < length; i++) if (text.charCodeAt(i) >= 0x80) return -1;
  return length;
}

/** Writes state records into one payload. */
export class StatePayloadWriter implements StateRecordSink {
  /** Records written so far. */
  count = 0;
  /** Where the values of the last record written start in the payload (after its id). */
  lastValuesAt = 0;
  private readonly fail: IndexedProblem;
  private readonly out: PayloadBuffer;
  // The values of the record being written, in reused arrays: name and typename field bytes,
  // serialized value, expiration.
  private readonly names: Uint8Array[] = [];
  private readonly typenames: Uint8Array[] = [];
  private readonly values: Uint8Array[] = [];
  private readonly expiries: number[] = [];
  private pending = 0;
  /** Decodes stored values that have to be filtered (see {@link addStoredAddress}). */
  private storedDecoder: StateRecordDecoder | undefined = undefined;

  /** With `shared`, the payload starts on the module's scratch buffer (see `PayloadBuffer`). */
  constructor(fail: IndexedProblem, shared = true) {
    this.fail = fail;
    this.out = new PayloadBuffer(shared);
  }

  /** Adds records given one by one (every value written, expired or not). */
  addRecords(records: readonly StateRecord[]): void {
    for (const record of records) {
      if (typeof record !== "object" || record === null) this.problem("expected a record");
      const values: readonly StateValueRecord[] = record.values;
      if (!Array.isArray(values)) this.problem("values: expected an array");
      for (let i = 0; i < values.length; i++) {
        this.addRecordValue(values[i] as StateValueRecord | undefined, i);
      }
      this.write(record.functionType, record.id);
    }
  }

  /** Adds records as a file holds them: each one's bytes, without their length prefix. */
  addEncoded(records: readonly Uint8Array[]): void {
    for (const record of records) {
      if (!(record instanceof Uint8Array)) this.problem("expected the bytes of a record");
      const out = this.out.reserve(5 + record.length);
      this.out.used = copyInto(out, writeVarint(out, this.out.used, record.length), record);
      this.count++;
    }
  }

  addAddress(
    functionType: string,
    id: string,
    values: StateValueSource | readonly StateValueSource[] | undefined,
    nowMs: number,
  ): void {
    if (values !== undefined) {
      if (Array.isArray(values)) {
        const list = values as readonly StateValueSource[];
        for (let i = 0; i < list.length; i++) this.addSourceValue(list[i], i, nowMs);
      } else {
        this.addSourceValue(values as StateValueSource, 0, nowMs);
      }
    }
    this.write(functionType, id);
  }

  /**
   * Adds the record of one address from its values as a `StateValuesEncoder` stored them (see
   * state-values.ts), copying the bytes as they are when no value has expired at `nowMs`, else
   * decoding them to leave the expired ones out, as {@link addAddress} does. `stored` may be
   * reused once this returns.
   */
  addStoredAddress(functionType: string, id: string, stored: Uint8Array, nowMs: number): void {
    const scanned = scanStateRecord(protobuf.Reader.create(stored), stored.length, NO_KEYS);
    if (scanned.earliestExpiryMs > nowMs) {
      this.write(functionType, id, stored);
      return;
    }
    this.storedDecoder ??= new StateRecordDecoder();
    const values = this.storedDecoder.decode(protobuf.Reader.create(stored), stored.length).values;
    for (let i = 0; i < values.length; i++) {
      const value = values[i] as StateValueRecord;
      if (value.expiresAtMs > nowMs) this.addRecordValue(value, i);
    }
    this.write(functionType, id);
  }

  addEncodedRecords(records: Uint8Array, count: number): void {
    if (!(records instanceof Uint8Array)) this.problem("expected the bytes of records");
    const out = this.out.reserve(records.length);
    this.out.used = copyInto(out, this.out.used, records);
    this.count += count;
  }

  /** The payload: a copy, so the scratch buffer can be reused. */
  finish(): Uint8Array {
    return this.out.finish();
  }

  /**
   * Copies the one record written since the last call, with its length prefix, into `target` at
   * `at`, and starts afresh.
   */
  takeRecord(target: Uint8Array, at: number): void {
    copyInto(target, at, this.out.bytes.subarray(0, this.out.used));
    this.out.used = 0;
    this.count = 0;
  }

  /** Bytes written since the last take. */
  get used(): number {
    return this.out.used;
  }

  /**
   * The body of the one record written since the last call (a copy, without its length prefix),
   * and a fresh start: how one address's values are encoded on their own.
   */
  takeRecordBody(): Uint8Array {
    const bytes = this.out.bytes;
    let start = 0;
    while ((bytes[start] as number) & 0x80) start++;
    // From Node's pool of small buffers: a fresh `ArrayBuffer` each costs far more.
    const length = this.out.used - start - 1;
    const body = Buffer.allocUnsafe(length);
    if (length > 256) body.set(bytes.subarray(start + 1, this.out.used));
    else for (let i = 0; i < length; i++) body[i] = bytes[start + 1 + i] as number;
    this.out.used = 0;
    this.count = 0;
    return body;
  }

  private addRecordValue(value: StateValueRecord | undefined, i: number): void {
    if (typeof value !== "object" || value === null) this.problem(`values[${i}]: expected a value`);
    this.push(value.name, value.typename, value.value, value.expiresAtMs, i);
  }

  private addSourceValue(value: StateValueSource | undefined, i: number, nowMs: number): void {
    if (value === undefined) return;
    const expiresAtMs = value.expiresAtMs;
    if (expiresAtMs <= nowMs) return;
    this.push(value.name, value.typename, value.encoded(), expiresAtMs, i);
  }

  private push(
    name: string,
    typename: string,
    value: Uint8Array,
    expiresAtMs: number,
    i: number,
  ): void {
    const at = this.pending++;
    this.names[at] = nameFields.get(name) ?? this.field(nameFields, name, "name", i);
    this.typenames[at] =
      typenameFields.get(typename) ?? this.field(typenameFields, typename, "typename", i);
    if (!(value instanceof Uint8Array)) this.problem(`values[${i}].value: expected a Uint8Array`);
    this.values[at] = value;
    if (expiresAtMs !== Infinity && !Number.isSafeInteger(expiresAtMs)) {
      this.problem(`values[${i}].expiresAtMs: expected an integer (ms), found ${expiresAtMs}`);
    }
    this.expiries[at] = expiresAtMs;
  }

  /**
   * Writes the record of the values pushed since the last one, followed by `stored`: values
   * already encoded as the record's fields.
   */
  private write(functionType: string, id: string, stored?: Uint8Array): void {
    const pending = this.pending;
    this.pending = 0;
    const typeField =
      functionTypeFields.get(functionType) ??
      this.field(functionTypeFields, functionType, "functionType", -1);
    if (typeof id !== "string") this.problem(`id: expected a string, found ${typeof id}`);
    let idBytes: Uint8Array | undefined;
    let idLength = asciiLength(id);
    if (idLength < 0) {
      idBytes = this.text(id, "id", -1);
      idLength = idBytes.length;
    }
    let recordLength =
      typeField.length + (idLength === 0 ? 0 : 1 + varintLength(idLength) + idLength);
    for (let v = 0; v < pending; v++) {
      const valueLength = this.valueLength(v);
      recordLength += 1 + varintLength(valueLength) + valueLength;
    }
    if (stored !== undefined) recordLength += stored.length;
    const out = this.out.reserve(5 + recordLength);
    let at = writeVarint(out, this.out.used, recordLength);
    at = copyInto(out, at, typeField);
    if (idLength > 0) {
      out[at++] = TAG_ID;
      at = writeVarint(out, at, idLength);
      if (idBytes !== undefined) {
        at = copyInto(out, at, idBytes);
      } else {
        for (let i = 0; i < idLength; i++) out[at++] = id.charCodeAt(i);
      }
    }
    this.lastValuesAt = at;
    for (let v = 0; v < pending; v++) {
      out[at++] = TAG_VALUES;
      at = writeVarint(out, at, this.valueLength(v));
      at = copyInto(out, at, this.names[v] as Uint8Array);
      at = copyInto(out, at, this.typenames[v] as Uint8Array);
      const value = this.values[v] as Uint8Array;
      if (value.length > 0) {
        out[at++] = TAG_VALUE;
        at = writeVarint(out, at, value.length);
        at = copyInto(out, at, value);
      }
      const expiresAtMs = this.expiries[v] as number;
      if (expiresAtMs !== Infinity) {
        out[at++] = TAG_EXPIRES_AT;
        at = writeInt64(out, at, expiresAtMs);
      }
    }
    if (stored !== undefined) at = copyInto(out, at, stored);
    this.out.used = at;
    this.count++;
  }

  /** Bytes of the `StateValue` message of pushed value `v`. */
  private valueLength(v: number): number {
    const valueBytes = (this.values[v] as Uint8Array).length;
    const expiresAtMs = this.expiries[v] as number;
    return (
      (this.names[v] as Uint8Array).length +
      (this.typenames[v] as Uint8Array).length +
      (valueBytes > 0 ? 1 + varintLength(valueBytes) + valueBytes : 0) +
      (expiresAtMs === Infinity ? 0 : 1 + int64Length(expiresAtMs))
    );
  }

  /** The field bytes of `text` (checked), cached. */
  private field(cache: FieldCache, text: string, field: string, valueIndex: number): Uint8Array {
    return cache.add(text, this.text(text, field, valueIndex));
  }

  /** UTF-8 of a string field, checked; `valueIndex` ≥ 0 for a field of `values[valueIndex]`. */
  private text(value: string, name: string, valueIndex: number): Uint8Array {
    const field = valueIndex < 0 ? name : `values[${valueIndex}].${name}`;
    return checkedUtf8(value, field, (what) => this.problem(what));
  }

  private problem(what: string): never {
    this.pending = 0;
    return this.fail(what, this.count);
  }
}
