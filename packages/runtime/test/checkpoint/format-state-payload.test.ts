/**
 * The state section writer: the bytes it writes are those of the generated code for the same
 * records, whether the records come as objects, as a backend's values or as a backend's values
 * stored as bytes; values expired at the cut are left out; what the format cannot hold is refused
 * with the record's index; one address's values encode on their own as the disk backend stores
 * them, and its whole record as a state section holds it, which goes into one as it is.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import protobuf from "protobufjs/minimal.js";
import { statefun } from "#gen/checkpoint";
import { StatePayloadWriter } from "../../src/checkpoint/format/state-payload.js";
import { StateRecordDecoder } from "../../src/checkpoint/format/state-records.js";
import type {
  StateRecord,
  StateValueRecord,
  StateValueSource,
} from "../../src/checkpoint/model.js";
import { StateCell, StateValuesEncoder, decodeStateValues } from "../../src/index.js";
import { stateRecord } from "./format-arbitraries.js";

const pb = statefun.checkpoint;

function wireValues(values: readonly StateValueRecord[]) {
  return values.map((value) => ({
    name: value.name,
    typename: value.typename,
    value: value.value,
    ...(value.expiresAtMs === Infinity ? {} : { expiresAtMs: value.expiresAtMs }),
  }));
}

/** What the generated code writes for `records`: each one length-delimited. */
function generatedPayload(records: readonly StateRecord[]): Buffer {
  const writer = protobuf.Writer.create();
  for (const record of records) {
    writer.fork();
    pb.StateRecord.encode(
      { functionType: record.functionType, id: record.id, values: wireValues(record.values) },
      writer,
    );
    writer.ldelim();
  }
  return Buffer.from(writer.finish());
}

/** A value as a backend keeps it. */
function source(value: StateValueRecord): StateValueSource {
  return {
    name: value.name,
    typename: value.typename,
    expiresAtMs: value.expiresAtMs,
    encoded: () => value.value,
  };
}

const noProblem = (what: string, index: number): never => assert.fail(`${index}: ${what}`);

test("state records are written byte for byte as the generated code writes them", () => {
  const cut = fc.oneof(fc.constant(-Infinity), fc.integer({ min: -5, max: 2 ** 42 }));
  fc.assert(
    fc.property(
      fc.array(stateRecord, { maxLength: 6 }),
      fc.array(stateRecord, { maxLength: 6 }),
      fc.array(stateRecord, { maxLength: 6 }),
      cut,
      (given, kept, stored, cutMs) => {
        // A backend's values: the ones expired at the cut are left out of the records.
        const live = (records: readonly StateRecord[]): StateRecord[] =>
          records.map((record) => ({
            ...record,
            values: record.values.filter((value) => value.expiresAtMs > cutMs),
          }));
        const expected = generatedPayload([...given, ...live(kept), ...live(stored)]);
        const writer = new StatePayloadWriter(noProblem);
        writer.addRecords(given);
        for (const record of kept) {
          const values = record.values.map(source);
          // One value is handed over as itself, as the backends keep a lone value.
          const handed = values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
          writer.addAddress(record.functionType, record.id, handed, cutMs);
        }
        // Values kept as bytes (the disk backend's), overwritten once handed over: copied.
        const encoder = new StateValuesEncoder();
        for (const record of stored) {
          const bytes = encoder.records(record.values);
          writer.addStoredAddress(record.functionType, record.id, bytes, cutMs);
          bytes.fill(0xff);
        }
        assert.equal(writer.count, given.length + kept.length + stored.length);
        assert.deepEqual(Buffer.from(writer.finish()), expected);
      },
    ),
    { numRuns: 500 },
  );
});

/** Decodes the length-delimited state records of `payload`. */
function decodeRecords(payload: Uint8Array, decoder: StateRecordDecoder): StateRecord[] {
  const reader = protobuf.Reader.create(payload);
  const records: StateRecord[] = [];
  while (reader.pos < reader.len) records.push(decoder.decode(reader, reader.uint32()));
  return records;
}

test("decoded for a restore, a record carries its values' bytes as one address's values encode", () => {
  const encoder = new StateValuesEncoder();
  fc.assert(
    fc.property(fc.array(stateRecord, { maxLength: 6 }), (records) => {
      const writer = new StatePayloadWriter(noProblem);
      writer.addRecords(records);
      const payload = writer.finish();
      const kept = decodeRecords(payload, new StateRecordDecoder(true));
      for (const [i, record] of kept.entries()) {
        const values = (records[i] as StateRecord).values;
        assert.deepEqual(
          record.encodedValues === undefined ? undefined : Buffer.from(record.encodedValues),
          values.length === 0 ? undefined : Buffer.from(encoder.records(values)),
        );
      }
      // Not asked for, not given.
      const plain = decodeRecords(payload, new StateRecordDecoder());
      assert.ok(plain.every((record) => !("encodedValues" in record)));
    }),
    { numRuns: 300 },
  );
  // A field after the values (not as the writer writes it): the bytes would not be the values'.
  const value = { name: "v", typename: "t/t", value: new Uint8Array([1, 2]) };
  const writer = protobuf.Writer.create();
  writer.fork();
  writer.uint32(0x1a).fork();
  pb.StateValue.encode(value, writer);
  writer.ldelim();
  writer.uint32(0x0a).string("ns/f");
  writer.ldelim();
  const [odd] = decodeRecords(writer.finish(), new StateRecordDecoder(true));
  assert.equal(odd?.functionType, "ns/f");
  assert.equal(odd?.values.length, 1);
  assert.equal(odd?.encodedValues, undefined);
});

test("one address's values encode on their own, and decode back", () => {
  const encoder = new StateValuesEncoder();
  fc.assert(
    fc.property(stateRecord, stateRecord, ({ values }, other) => {
      const expected = Buffer.from(pb.StateRecord.encode({ values: wireValues(values) }).finish());
      assert.deepEqual(Buffer.from(encoder.records(values)), expected);
      // The encoder reuses its buffer: each result is a copy of its own.
      const first = encoder.stored(values.map(source));
      encoder.stored(other.values.map(source));
      assert.deepEqual(Buffer.from(first), expected);
      assert.deepEqual(
        decodeStateValues(first).map((value) => ({ ...value, value: Buffer.from(value.value) })),
        values.map((value) => ({ ...value, value: Buffer.from(value.value) })),
      );
    }),
    { numRuns: 300 },
  );
  // The runtime's own cells are such values: expired or not, they are all stored.
  const cell = new StateCell("count");
  // StateFun's int: an `IntWrapper` with an sfixed32 field.
  const int42 = [0x0d, 42, 0, 0, 0];
  cell.assignBytes("io.statefun.types/int", new Uint8Array(int42), 1000);
  const [decoded] = decodeStateValues(encoder.stored(cell));
  assert.equal(decoded?.name, "count");
  assert.equal(decoded?.expiresAtMs, 1000);
  assert.deepEqual([...(decoded?.value ?? [])], int42);
});

test("an address's whole record encodes as a state section holds it, and goes in as it is", () => {
  const encoder = new StateValuesEncoder();
  fc.assert(
    fc.property(stateRecord, stateRecord, fc.nat(8), (first, second, offset) => {
      // Each record copied out after `offset` bytes, as the disk backend keeps them.
      const kept: Uint8Array[] = [];
      for (const record of [first, second]) {
        const values = record.values.map(source);
        const length = encoder.record(record.functionType, record.id, values);
        const valuesStart = encoder.valuesStart;
        const target = new Uint8Array(offset + length);
        encoder.takeRecord(target, offset);
        const bytes = target.subarray(offset);
        assert.deepEqual(Buffer.from(bytes), generatedPayload([record]));
        // Its last bytes are the values as stored.
        assert.deepEqual(
          Buffer.from(bytes.subarray(valuesStart)),
          Buffer.from(encoder.stored(values)),
        );
        kept.push(bytes);
      }
      const writer = new StatePayloadWriter(noProblem);
      writer.addAddress("other/type", "before", undefined, 0);
      writer.addEncodedRecords(Buffer.concat(kept), 2);
      assert.equal(writer.count, 3);
      assert.deepEqual(
        Buffer.from(writer.finish()),
        generatedPayload([{ functionType: "other/type", id: "before", values: [] }, first, second]),
      );
    }),
    { numRuns: 300 },
  );
});

test("a state record the format cannot hold is refused with its index", () => {
  const lone = "\ud800";
  const value: StateValueRecord = {
    name: "v",
    typename: "ns/t",
    value: new Uint8Array([1]),
    expiresAtMs: Infinity,
  };
  const record: StateRecord = { functionType: "ns/f", id: "a", values: [value] };
  const cases: [StateRecord[], string][] = [
    [[record, { ...record, id: lone }], `1: id: ${JSON.stringify(lone)} has a lone surrogate`],
    [[{ ...record, functionType: `ns/${lone}` }], "0: functionType: "],
    [
      [record, record, { ...record, values: [value, { ...value, name: lone }] }],
      "2: values[1].name",
    ],
    [[{ ...record, values: [{ ...value, typename: lone }] }], "0: values[0].typename"],
    [
      [record, { ...record, values: [{ ...value, expiresAtMs: 1.5 }] }],
      "1: values[0].expiresAtMs: expected an integer (ms), found 1.5",
    ],
    [
      [{ ...record, values: [{ ...value, value: "text" as unknown as Uint8Array }] }],
      "0: values[0].value: expected a Uint8Array",
    ],
  ];
  for (const [records, expected] of cases) {
    let problem = "";
    const writer = new StatePayloadWriter((what, index) => {
      problem = `${index}: ${what}`;
      throw new Error(problem);
    });
    assert.throws(() => writer.addRecords(records));
    assert.ok(problem.startsWith(expected), `${problem} (expected ${expected}…)`);
    // Nothing of the refused record was written: the records before it decode.
    const payload = writer.finish();
    const reader = protobuf.Reader.create(payload);
    let decoded = 0;
    while (reader.pos < reader.len) {
      pb.StateRecord.decode(reader, reader.uint32());
      decoded++;
    }
    assert.equal(decoded, writer.count);
  }
});
