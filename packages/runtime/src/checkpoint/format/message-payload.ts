/**
 * The payload of a pending-messages section, written straight into bytes. A busy checkpoint holds
 * the whole backlog (100,000 messages at the default bound), written anew every checkpoint:
 * protobufjs' `Writer` allocates an operation object per field and a fork per record, which made
 * these sections most of a checkpoint's cost. Here each record's length is computed up front, a
 * target address's field bytes are built once for all its messages, typenames' field bytes are
 * cached, and every record goes into one buffer. The bytes are those of the generated code for
 * `PendingMessageRecord` (proto3: empty strings, `false` and empty bytes left out), which a
 * property test checks.
 */
import type {
  CheckpointAddress,
  PendingInputCaller,
  PendingMessageRecord,
  PendingMessageRun,
} from "../model.js";
import { isWellFormedText } from "./layout.js";

/** Reports a problem with the record at `index`; never returns. */
export type MessageProblem = (what: string, index: number) => never;

/** Field tags (field number << 3 | wire type) of `PendingMessageRecord`, `Address`, `TypedValue`. */
const TAG_TARGET = 10;
const TAG_CALLER = 18;
const TAG_ARGUMENT = 26;
const TAG_ADDRESS_TYPE = 10;
const TAG_ADDRESS_ID = 18;
const TAG_TYPENAME = 10;
const TAG_HAS_VALUE = 16;
const TAG_VALUE = 26;

/** Typenames whose field bytes are kept; a checkpoint rarely sees more than a few. */
const MAX_CACHED_TYPENAMES = 1024;
/** A scratch buffer up to this size is kept for the next section. */
const KEPT_SCRATCH_BYTES = 1024 * 1024;
const EMPTY = new Uint8Array(0);

let scratch: Uint8Array<ArrayBufferLike> = new Uint8Array(64 * 1024);
const typenameFields = new Map<string, Uint8Array>();

function varintLength(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

function writeVarint(bytes: Uint8Array, at: number, value: number): number {
  while (value > 0x7f) {
    bytes[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  bytes[at++] = value;
  return at;
}

function copyInto(bytes: Uint8Array, at: number, source: Uint8Array): number {
  const length = source.length;
  if (length > 32) {
    bytes.set(source, at);
  } else {
    for (let i = 0; i < length; i++) bytes[at + i] = source[i] as number;
  }
  return at + length;
}

/** UTF-8 of a string that is known to be well formed (short ASCII without a native call). */
function utf8Of(text: string): Uint8Array {
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
function putString(out: Uint8Array, at: number, tag: number, utf8: Uint8Array): number {
  if (utf8.length === 0) return at;
  out[at++] = tag;
  at = writeVarint(out, at, utf8.length);
  return copyInto(out, at, utf8);
}

function stringFieldLength(utf8: Uint8Array): number {
  return utf8.length === 0 ? 0 : 1 + varintLength(utf8.length) + utf8.length;
}

/** Writes pending-message records into one payload. */
export class MessagePayloadWriter {
  /** Records written so far. */
  count = 0;
  private readonly fail: MessageProblem;
  /** The shared scratch buffer, taken so that a second writer at the same time gets its own. */
  private bytes: Uint8Array<ArrayBufferLike>;
  private used = 0;
  /** The last caller seen and its field bytes: one invocation's messages share their caller. */
  private lastCaller: object | undefined;
  private lastCallerField: Uint8Array = EMPTY;

  constructor(fail: MessageProblem) {
    this.fail = fail;
    this.bytes = scratch;
    scratch = EMPTY;
  }

  /** Adds records given one by one. */
  addRecords(records: readonly PendingMessageRecord[]): void {
    for (const record of records) {
      if (typeof record !== "object" || record === null) this.problem("expected a record");
      const target = this.addressField(TAG_TARGET, record.target, "target");
      const argument = record.argument;
      if (typeof argument !== "object" || argument === null) {
        this.problem("argument: expected a typed value");
      }
      this.add(target, record.caller, argument.typename, argument.hasValue, argument.value);
    }
  }

  /** Adds the messages of each run, in order. */
  addRuns(runs: readonly PendingMessageRun[]): void {
    for (const run of runs) {
      const messages = run.messages;
      if (messages.length === 0) continue;
      const target = this.addressField(TAG_TARGET, run.target, "target");
      for (const message of messages) {
        const argument = message.argument;
        this.add(target, message.caller, argument.typename, argument.hasValue, argument.bytes);
      }
    }
  }

  /** The payload: a copy, so the scratch buffer can be reused. */
  finish(): Uint8Array {
    const payload = this.bytes.slice(0, this.used);
    if (this.bytes.length <= KEPT_SCRATCH_BYTES && this.bytes.length > scratch.length) {
      scratch = this.bytes;
    }
    this.bytes = EMPTY;
    return payload;
  }

  private add(
    target: Uint8Array,
    caller: CheckpointAddress | PendingInputCaller | undefined,
    typename: string,
    hasValue: boolean,
    value: Uint8Array,
  ): void {
    const callerField =
      caller === undefined
        ? EMPTY
        : caller === this.lastCaller
          ? this.lastCallerField
          : this.callerField(caller);
    const typenameField = this.typenameField(typename);
    if (!(value instanceof Uint8Array)) this.problem("argument.value: expected a Uint8Array");
    const valueLength = value.length;
    const argumentLength =
      typenameField.length +
      (hasValue === true ? 2 : 0) +
      (valueLength > 0 ? 1 + varintLength(valueLength) + valueLength : 0);
    const recordLength =
      target.length + callerField.length + 1 + varintLength(argumentLength) + argumentLength;
    const out = this.reserve(5 + recordLength);
    let at = writeVarint(out, this.used, recordLength);
    at = copyInto(out, at, target);
    at = copyInto(out, at, callerField);
    out[at++] = TAG_ARGUMENT;
    at = writeVarint(out, at, argumentLength);
    at = copyInto(out, at, typenameField);
    if (hasValue === true) {
      out[at++] = TAG_HAS_VALUE;
      out[at++] = 1;
    }
    if (valueLength > 0) {
      out[at++] = TAG_VALUE;
      at = writeVarint(out, at, valueLength);
      at = copyInto(out, at, value);
    }
    this.used = at;
    this.count++;
  }

  private callerField(caller: CheckpointAddress | PendingInputCaller): Uint8Array {
    if (typeof caller !== "object" || caller === null) this.problem("caller: expected an address");
    const address =
      "functionType" in caller ? caller : { functionType: caller.typename, id: caller.id };
    const field = this.addressField(TAG_CALLER, address, "caller");
    this.lastCaller = caller;
    this.lastCallerField = field;
    return field;
  }

  /** An `Address` field with its tag and length. */
  private addressField(tag: number, address: CheckpointAddress, field: string): Uint8Array {
    if (typeof address !== "object" || address === null) {
      this.problem(`${field}: expected an address`);
    }
    const functionType = this.text(address.functionType, `${field}.functionType`);
    const id = this.text(address.id, `${field}.id`);
    const length = stringFieldLength(functionType) + stringFieldLength(id);
    const bytes = new Uint8Array(1 + varintLength(length) + length);
    bytes[0] = tag;
    let at = writeVarint(bytes, 1, length);
    at = putString(bytes, at, TAG_ADDRESS_TYPE, functionType);
    putString(bytes, at, TAG_ADDRESS_ID, id);
    return bytes;
  }

  private typenameField(typename: string): Uint8Array {
    let field = typenameFields.get(typename);
    if (field !== undefined) return field;
    const utf8 = this.text(typename, "argument.typename");
    field = new Uint8Array(stringFieldLength(utf8));
    putString(field, 0, TAG_TYPENAME, utf8);
    if (typenameFields.size >= MAX_CACHED_TYPENAMES) typenameFields.clear();
    typenameFields.set(typename, field);
    return field;
  }

  private text(value: string, field: string): Uint8Array {
    if (typeof value !== "string")
      this.problem(`${field}: expected a string, found ${typeof value}`);
    if (!isWellFormedText(value)) {
      this.problem(
        `${field}: ${JSON.stringify(value)} has a lone surrogate (not representable in UTF-8)`,
      );
    }
    return utf8Of(value);
  }

  /** The buffer, with room for `bytes` more. */
  private reserve(bytes: number): Uint8Array {
    const needed = this.used + bytes;
    if (needed <= this.bytes.length) return this.bytes;
    const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2, 4096));
    grown.set(this.bytes.subarray(0, this.used));
    this.bytes = grown;
    return grown;
  }

  private problem(what: string): never {
    return this.fail(what, this.count);
  }
}
