/**
 * The payload of a pending-messages section, written straight into bytes (see payload-bytes.ts).
 * A busy checkpoint holds the whole backlog (100,000 messages at the default bound), written anew
 * every checkpoint. A target address's field bytes are built once for all its messages and
 * typenames' field bytes are cached. The bytes are those of the generated code for
 * `PendingMessageRecord`, which a property test checks.
 */
import type {
  CheckpointAddress,
  PendingInputCaller,
  PendingMessageRecord,
  PendingMessageRun,
} from "../model.js";
import {
  EMPTY_BYTES as EMPTY,
  FieldCache,
  PayloadBuffer,
  checkedUtf8,
  copyInto,
  putString,
  stringFieldLength,
  varintLength,
  writeVarint,
} from "./payload-bytes.js";
import type { IndexedProblem } from "./payload-bytes.js";

/** Field tags (field number << 3 | wire type) of `PendingMessageRecord`, `Address`, `TypedValue`. */
const TAG_TARGET = 10;
const TAG_CALLER = 18;
const TAG_ARGUMENT = 26;
const TAG_ADDRESS_TYPE = 10;
const TAG_ADDRESS_ID = 18;
const TAG_TYPENAME = 10;
const TAG_HAS_VALUE = 16;
const TAG_VALUE = 26;

const typenameFields = new FieldCache(TAG_TYPENAME);

/** Writes pending-message records into one payload. */
export class MessagePayloadWriter {
  /** Records written so far. */
  count = 0;
  private readonly fail: IndexedProblem;
  private readonly out = new PayloadBuffer();
  /** The last caller seen and its field bytes: one invocation's messages share their caller. */
  private lastCaller: object | undefined;
  private lastCallerField: Uint8Array = EMPTY;

  constructor(fail: IndexedProblem) {
    this.fail = fail;
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
    return this.out.finish();
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
    const out = this.out.reserve(5 + recordLength);
    let at = writeVarint(out, this.out.used, recordLength);
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
    this.out.used = at;
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
    return (
      typenameFields.get(typename) ??
      typenameFields.add(typename, this.text(typename, "argument.typename"))
    );
  }

  private text(value: string, field: string): Uint8Array {
    return checkedUtf8(value, field, (what) => this.problem(what));
  }

  private problem(what: string): never {
    return this.fail(what, this.count);
  }
}
