/**
 * The records of a checkpoint file: conversion between the checkpoint model and the protobuf
 * messages of `proto/checkpoint.proto`, one codec per section kind. Encoding validates what the
 * model's types cannot express (well-formed strings, integral times); decoding checks that
 * required sub-messages are present; decoded bytes are copies, except state values, which are views
 * into the section (backends decode or copy them when they keep them).
 */
import type protobuf from "protobufjs/minimal.js";
import { statefun } from "#gen/checkpoint";
import type {
  CheckpointAddress,
  DelayedMessageRecord,
  EgressRecordEntry,
  PendingMessageRecord,
  StateRecord,
  StoredTypedValue,
} from "../model.js";
import { isWellFormedText } from "./layout.js";
import type { SectionKind } from "./layout.js";

const pb = statefun.checkpoint;

/** Reports a problem with one record; never returns. */
export type RecordProblem = (what: string) => never;

/** What decoding the records of one section shares. */
export interface DecodeContext {
  /** Reports a missing required field of the current record. */
  readonly fail: RecordProblem;
  /**
   * Returns one instance per distinct string. Function types, state names and typenames repeat
   * across records: sharing them saves memory and garbage collection work (1,000,000 addresses
   * of one function type hold one function type string, not a million copies).
   */
  intern(text: string): string;
}

/** Encodes the records of one section kind. */
export interface RecordEncoder<T> {
  /** Writes one record (without its length prefix); calls `fail` for a value it cannot encode. */
  encode(record: T, writer: protobuf.Writer, fail: RecordProblem): void;
}

/** Decodes the records of one section kind. */
export interface RecordDecoder<T> {
  /** Reads one record of `length` bytes; calls `context.fail` for a missing required field. */
  decode(reader: protobuf.Reader, length: number, context: DecodeContext): T;
}

/** Encodes and decodes the records of one section kind. */
export type RecordCodec<T> = RecordEncoder<T> & RecordDecoder<T>;

/** Section kinds whose records are written with protobufjs' `Writer`. */
export type WriterSectionKind = Exclude<SectionKind, "messages" | "state">;

/** A fresh {@link DecodeContext}; its interned strings live as long as it does. */
export function createDecodeContext(fail: RecordProblem): DecodeContext {
  const strings = new Map<string, string>();
  // Consecutive records mostly repeat the previous string: compare before hashing.
  let last = "";
  return {
    fail,
    intern(text) {
      if (text === last) return last;
      let known = strings.get(text);
      if (known === undefined) {
        strings.set(text, text);
        known = text;
      }
      last = known;
      return known;
    },
  };
}

/** The record type of each section kind. Component sections hold one record: the state bytes. */
export interface SectionRecords {
  state: StateRecord;
  messages: PendingMessageRecord;
  delayed: DelayedMessageRecord;
  egress: EgressRecordEntry;
  sink: Uint8Array;
  ingress: Uint8Array;
}

function text(value: string, field: string, fail: RecordProblem): string {
  if (typeof value !== "string") fail(`${field}: expected a string, found ${typeof value}`);
  if (!isWellFormedText(value)) {
    fail(`${field}: ${JSON.stringify(value)} has a lone surrogate (not representable in UTF-8)`);
  }
  return value;
}

function bytes(value: Uint8Array, field: string, fail: RecordProblem): Uint8Array {
  if (!(value instanceof Uint8Array)) fail(`${field}: expected a Uint8Array`);
  return value;
}

function integer(value: number, field: string, fail: RecordProblem): number {
  if (!Number.isSafeInteger(value)) fail(`${field}: expected an integer (ms), found ${value}`);
  return value;
}

/** A decoded bytes field as a fresh plain `Uint8Array` (the decoder returns views or `Buffer`s). */
function ownBytes(value: Uint8Array | null | undefined): Uint8Array {
  return value == null ? new Uint8Array(0) : new Uint8Array(value);
}

/** A decoded int64 field as a number: the decoder returns `Long` objects (see protocol codec). */
function int64(value: unknown): number {
  if (typeof value === "number") return value;
  return (value as { toNumber(): number }).toNumber();
}

function wireAddress(address: CheckpointAddress, field: string, fail: RecordProblem) {
  if (typeof address !== "object" || address === null) fail(`${field}: expected an address`);
  return {
    functionType: text(address.functionType, `${field}.functionType`, fail),
    id: text(address.id, `${field}.id`, fail),
  };
}

function wireTypedValue(value: StoredTypedValue, field: string, fail: RecordProblem) {
  if (typeof value !== "object" || value === null) fail(`${field}: expected a typed value`);
  return {
    typename: text(value.typename, `${field}.typename`, fail),
    hasValue: value.hasValue === true,
    value: bytes(value.value, `${field}.value`, fail),
  };
}

type WireAddress = statefun.checkpoint.Address.$Properties | null | undefined;
type WireTypedValue = statefun.checkpoint.TypedValue.$Properties | null | undefined;

function modelAddress(address: WireAddress, field: string, context: DecodeContext) {
  if (address == null) context.fail(`${field} is missing`);
  return { functionType: context.intern(address.functionType ?? ""), id: address.id ?? "" };
}

function modelTypedValue(value: WireTypedValue, field: string, context: DecodeContext) {
  if (value == null) context.fail(`${field} is missing`);
  return {
    typename: context.intern(value.typename ?? ""),
    hasValue: value.hasValue === true,
    value: ownBytes(value.value),
  };
}

/** State records are written by `StatePayloadWriter` (`state-payload.ts`). */
const stateDecoder: RecordDecoder<StateRecord> = {
  decode(reader, length, context) {
    const record = pb.StateRecord.decode(reader, length);
    return {
      functionType: context.intern(record.functionType ?? ""),
      id: record.id ?? "",
      values: (record.values ?? []).map((value) => ({
        name: context.intern(value.name ?? ""),
        typename: context.intern(value.typename ?? ""),
        // A view into the section, not a copy: state values are decoded or copied by the
        // backend that restores them (one ArrayBuffer per value would dominate restore time).
        value: value.value ?? new Uint8Array(0),
        expiresAtMs: value.expiresAtMs == null ? Infinity : int64(value.expiresAtMs),
      })),
    };
  },
};

/** Pending messages are written by `MessagePayloadWriter` (`message-payload.ts`). */
const messageDecoder: RecordDecoder<PendingMessageRecord> = {
  decode(reader, length, context) {
    const record = pb.PendingMessageRecord.decode(reader, length);
    return {
      target: modelAddress(record.target, "target", context),
      caller: record.caller == null ? undefined : modelAddress(record.caller, "caller", context),
      argument: modelTypedValue(record.argument, "argument", context),
    };
  },
};

const delayedCodec: RecordCodec<DelayedMessageRecord> = {
  encode(record, writer, fail) {
    const wire: statefun.checkpoint.DelayedMessageRecord.$Properties = {
      sender: wireAddress(record.sender, "sender", fail),
      dueMs: integer(record.dueMs, "dueMs", fail),
      target: wireAddress(record.target, "target", fail),
      argument: wireTypedValue(record.argument, "argument", fail),
    };
    if (record.cancellationToken !== undefined) {
      wire.cancellationToken = text(record.cancellationToken, "cancellationToken", fail);
    }
    pb.DelayedMessageRecord.encode(wire, writer);
  },
  decode(reader, length, context) {
    const record = pb.DelayedMessageRecord.decode(reader, length);
    return {
      sender: modelAddress(record.sender, "sender", context),
      dueMs: int64(record.dueMs ?? 0),
      cancellationToken: record.cancellationToken ?? undefined,
      target: modelAddress(record.target, "target", context),
      argument: modelTypedValue(record.argument, "argument", context),
    };
  },
};

const egressCodec: RecordCodec<EgressRecordEntry> = {
  encode(record, writer, fail) {
    pb.EgressRecord.encode(
      {
        egress: text(record.egress, "egress", fail),
        value: wireTypedValue(record.value, "value", fail),
      },
      writer,
    );
  },
  decode(reader, length, context) {
    const record = pb.EgressRecord.decode(reader, length);
    return {
      egress: context.intern(record.egress ?? ""),
      value: modelTypedValue(record.value, "value", context),
    };
  },
};

const componentCodec: RecordCodec<Uint8Array> = {
  encode(state, writer, fail) {
    pb.ComponentStateRecord.encode({ state: bytes(state, "bytes", fail) }, writer);
  },
  decode(reader, length) {
    return ownBytes(pb.ComponentStateRecord.decode(reader, length).state);
  },
};

/**
 * The record encoder of every section kind but state and pending messages, which the payload
 * writers write (`state-payload.ts`, `message-payload.ts`).
 */
export const RECORD_ENCODERS: {
  readonly [K in WriterSectionKind]: RecordEncoder<SectionRecords[K]>;
} = {
  delayed: delayedCodec,
  egress: egressCodec,
  sink: componentCodec,
  ingress: componentCodec,
};

/** The record decoder of every section kind. */
export const RECORD_DECODERS: { readonly [K in SectionKind]: RecordDecoder<SectionRecords[K]> } = {
  state: stateDecoder,
  messages: messageDecoder,
  delayed: delayedCodec,
  egress: egressCodec,
  sink: componentCodec,
  ingress: componentCodec,
};
