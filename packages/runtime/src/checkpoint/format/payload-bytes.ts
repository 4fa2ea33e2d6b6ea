/**
 * Protobuf wire bytes written by hand, for the records a checkpoint holds by the hundred thousand
 * (pending messages, state). protobufjs' `Writer` allocates an operation object per field and a
 * fork per record; the writers built on this compute each record's length up front and write every
 * record into one growing buffer. The bytes must stay those of the generated code (proto3: empty
 * strings and bytes, and `false`, are left out), which property tests check for each writer.
 */

import { isWellFormedText } from "./layout.js";

/** Reports a problem with the record at `index`; never returns. */
export type IndexedProblem = (what: string, index: number) => never;

/** A scratch buffer up to this size is kept for the next payload. */
const KEPT_SCRATCH_BYTES = 1024 * 1024;
export const EMPTY_BYTES = new Uint8Array(0);

let scratch: Uint8Array<ArrayBufferLike> = new Uint8Array(64 * 1024);

/** Bytes of the varint of a non-negative 32-bit integer. */
export function varintLength(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

/** Writes the varint of a non-negative 32-bit integer at `at`; returns the position after it. */
export function writeVarint(bytes: Uint8Array, at: number, value: number): number {
  while (value > 0x7f) {
    bytes[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  bytes[at++] = value;
  return at;
}

/** Bytes of the varint of an `int64` field holding a safe integer (10 for a negative one). */
export function int64Length(value: number): number {
  if (value < 0) return 10;
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    length++;
  }
  return length;
}

/**
 * Writes the varint of an `int64` field holding a safe integer as protobufjs does (a negative one
 * in two's complement, 10 bytes); returns the position after it.
 */
export function writeInt64(bytes: Uint8Array, at: number, value: number): number {
  if (value >= 0) {
    while (value >= 0x80) {
      bytes[at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    bytes[at++] = value;
    return at;
  }
  const magnitude = -value;
  let lo = ~(magnitude >>> 0) >>> 0;
  let hi = ~Math.floor(magnitude / 4294967296) >>> 0;
  lo = (lo + 1) >>> 0;
  if (lo === 0) hi = (hi + 1) >>> 0;
  for (let i = 0; i < 9; i++) {
    bytes[at++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  bytes[at++] = lo & 0x01;
  return at;
}

/** Copies `source` into `bytes` at `at` (short ones without a native call); returns the end. */
export function copyInto(bytes: Uint8Array, at: number, source: Uint8Array): number {
  const length = source.length;
  if (length > 32) {
    bytes.set(source, at);
  } else {
    for (let i = 0; i < length; i++) bytes[at + i] = source[i] as number;
  }
  return at + length;
}

/** UTF-8 of a string that is known to be well formed (short ASCII without a native call). */
export function utf8Of(text: string): Uint8Array {
  const length = text.length;
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return Buffer.from(text, "utf8");
    bytes[i] = code;
  }
  return bytes;
}

/** Writes a string field (tag, length, UTF-8) into `out` at `at`; nothing for "" (proto3). */
export function putString(out: Uint8Array, at: number, tag: number, utf8: Uint8Array): number {
  if (utf8.length === 0) return at;
  out[at++] = tag;
  at = writeVarint(out, at, utf8.length);
  return copyInto(out, at, utf8);
}

/** Bytes of a string field written by {@link putString}. */
export function stringFieldLength(utf8: Uint8Array): number {
  return utf8.length === 0 ? 0 : 1 + varintLength(utf8.length) + utf8.length;
}

/**
 * The UTF-8 of a string field's value; `problem` is told (and throws) when it is not a string or
 * has a lone surrogate, which UTF-8 cannot hold.
 */
export function checkedUtf8(value: string, field: string, problem: (what: string) => never) {
  if (typeof value !== "string") problem(`${field}: expected a string, found ${typeof value}`);
  if (!isWellFormedText(value)) {
    problem(`${field}: ${JSON.stringify(value)} has a lone surrogate (not representable in UTF-8)`);
  }
  return utf8Of(value);
}

/** Distinct strings whose field bytes a {@link FieldCache} keeps; beyond this it starts over. */
const MAX_CACHED_FIELDS = 1024;

/** Field bytes of strings that repeat from record to record (typenames, names), for one tag. */
export class FieldCache {
  private readonly fields = new Map<string, Uint8Array>();
  private readonly tag: number;

  constructor(tag: number) {
    this.tag = tag;
  }

  get(text: string): Uint8Array | undefined {
    return this.fields.get(text);
  }

  /** Caches the field of `text`, whose UTF-8 is `utf8`; returns it. */
  add(text: string, utf8: Uint8Array): Uint8Array {
    const field = stringField(this.tag, utf8);
    if (this.fields.size >= MAX_CACHED_FIELDS) this.fields.clear();
    this.fields.set(text, field);
    return field;
  }
}

/** A whole string field (tag, length, UTF-8) as bytes; empty for "". */
export function stringField(tag: number, utf8: Uint8Array): Uint8Array {
  const field = new Uint8Array(stringFieldLength(utf8));
  putString(field, 0, tag, utf8);
  return field;
}

/**
 * The growing buffer of one payload. A shared one starts on the module's scratch buffer, taken so
 * that a second payload written at the same time gets its own, and given back by {@link finish}.
 */
export class PayloadBuffer {
  bytes: Uint8Array<ArrayBufferLike>;
  used = 0;

  constructor(shared = true) {
    if (shared) {
      this.bytes = scratch;
      scratch = EMPTY_BYTES;
    } else {
      this.bytes = new Uint8Array(4096);
    }
  }

  /** The buffer, with room for `more` bytes after {@link used}. */
  reserve(more: number): Uint8Array {
    const needed = this.used + more;
    if (needed <= this.bytes.length) return this.bytes;
    const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2, 4096));
    grown.set(this.bytes.subarray(0, this.used));
    this.bytes = grown;
    return grown;
  }

  /** The payload: a copy, so the scratch buffer can be reused. */
  finish(): Uint8Array {
    const payload = this.bytes.slice(0, this.used);
    if (this.bytes.length <= KEPT_SCRATCH_BYTES && this.bytes.length > scratch.length) {
      scratch = this.bytes;
    }
    this.bytes = EMPTY_BYTES;
    return payload;
  }
}
