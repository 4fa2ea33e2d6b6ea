/**
 * Records inside sections: fields a newer writer added are ignored (the evolution rule of
 * `proto/checkpoint.proto`), and a section whose CRC matches but whose records do not decode is a
 * `corrupt-data` error naming the record's index. Files here are assembled by hand from the
 * format's layout so that the checks behind the CRC can be reached. The direct writer of pending
 * messages writes exactly the generated code's bytes, from records and from mailbox runs.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import protobuf from "protobufjs/minimal.js";
import { statefun } from "#gen/checkpoint";
import { decodeCheckpointBytes } from "../../src/checkpoint/format/index.js";
import {
  END_MAGIC,
  FILE_MAGIC,
  crc32Of,
  encodeSectionHeader,
  u32Bytes,
} from "../../src/checkpoint/format/layout.js";
import type { SectionKind } from "../../src/checkpoint/format/layout.js";
import { serializeManifest } from "../../src/checkpoint/format/manifest.js";
import type { CheckpointSectionInfo } from "../../src/checkpoint/format/manifest.js";
import type {
  CheckpointManifest,
  PendingInput,
  PendingMessageRecord,
  PendingMessageRun,
} from "../../src/checkpoint/model.js";
import { MessagePayloadWriter } from "../../src/checkpoint/format/message-payload.js";
import { pendingMessage } from "./format-arbitraries.js";
import { rejection } from "./format-storage.js";

const pb = statefun.checkpoint;

const manifest: CheckpointManifest = {
  formatVersion: 1,
  id: 1,
  kind: "checkpoint",
  createdAtMs: 0,
  maxKeyGroups: 4,
  mode: "exactly-once",
  full: true,
  chain: [],
  info: {},
};

/** A file with one section of `kind` (key group 1, or global) holding `records` as given. */
function fileWith(kind: SectionKind, records: readonly Uint8Array[], trailing = new Uint8Array()) {
  const writer = protobuf.Writer.create();
  for (const record of records) writer.bytes(record);
  const payload = new Uint8Array(Buffer.concat([writer.finish(), trailing]));
  const owner = {
    kind,
    keyGroup: kind === "state" || kind === "messages" || kind === "delayed" ? 1 : undefined,
    component: kind === "sink" || kind === "ingress" ? "c" : undefined,
  };
  const header = encodeSectionHeader({
    ...owner,
    records: records.length,
    payloadBytes: payload.length,
  });
  const crc = u32Bytes(crc32Of(header, payload));
  const info: CheckpointSectionInfo = {
    ...owner,
    offset: FILE_MAGIC.length,
    length: header.length + payload.length + 4,
    records: records.length,
  };
  const json = serializeManifest(manifest, [info]);
  const footer = [json, u32Bytes(json.length), u32Bytes(crc32Of(json)), END_MAGIC];
  return new Uint8Array(Buffer.concat([FILE_MAGIC, header, payload, crc, ...footer]));
}

/** `bytes` followed by unknown fields 15 (varint) and 16 (length-delimited). */
function withUnknownFields(bytes: Uint8Array): Uint8Array {
  return new Uint8Array([...bytes, 0x78, 0x2a, 0x82, 0x01, 0x02, 0x68, 0x69]);
}

test("fields a newer writer added are ignored, at the top level and in nested records", async () => {
  const value = withUnknownFields(
    pb.StateValue.encode({
      name: "v",
      typename: "t/t",
      value: new Uint8Array([1]),
      expiresAtMs: 9,
    }).finish(),
  );
  const record = new Uint8Array([
    ...withUnknownFields(pb.StateRecord.encode({ functionType: "ns/f", id: "a" }).finish()),
    0x1a,
    value.length,
    ...value,
  ]);
  const decoded = await decodeCheckpointBytes(fileWith("state", [record]));
  assert.deepEqual(decoded.keyGroups, [
    {
      keyGroup: 1,
      state: [
        {
          functionType: "ns/f",
          id: "a",
          values: [{ name: "v", typename: "t/t", value: new Uint8Array([1]), expiresAtMs: 9 }],
        },
      ],
      messages: [],
      delayed: [],
    },
  ]);
});

test("a record that does not decode is named by its index", async () => {
  const good = pb.EgressRecord.encode({ egress: "e", value: { typename: "t/t" } }).finish();
  const cases: [string, Uint8Array, RegExp][] = [
    ["garbage", new Uint8Array([0x0a, 0x7f, 0x01]), /undecodable record at index 1: /],
    ["bad UTF-8", new Uint8Array([0x0a, 0x02, 0xc3, 0x28]), /undecodable record at index 1: /],
    [
      "no value",
      pb.EgressRecord.encode({ egress: "e" }).finish(),
      /record at index 1: value is missing/,
    ],
  ];
  for (const [what, bad, message] of cases) {
    const error = await rejection(() =>
      decodeCheckpointBytes(fileWith("egress", [good, bad]), "f.sfc"),
    );
    assert.equal(error.code, "corrupt-data", what);
    assert.match(
      error.message,
      /^checkpoint file f\.sfc: egress section \(bytes 8\.\.\d+\): /,
      what,
    );
    assert.match(error.message, message, what);
  }
});

test("required addresses and arguments of messages must be present", async () => {
  const noTarget = pb.PendingMessageRecord.encode({ argument: { typename: "t/t" } }).finish();
  const error = await rejection(() => decodeCheckpointBytes(fileWith("messages", [noTarget])));
  assert.match(
    error.message,
    /messages section of key group 1 .*record at index 0: target is missing/,
  );
  const noSender = pb.DelayedMessageRecord.encode({ dueMs: 5 }).finish();
  const delayed = await rejection(() => decodeCheckpointBytes(fileWith("delayed", [noSender])));
  assert.match(delayed.message, /record at index 0: sender is missing/);
});

test("bytes after the last record, or a missing record, are corrupt", async () => {
  const record = pb.ComponentStateRecord.encode({ state: new Uint8Array([1]) }).finish();
  const trailing = await rejection(() =>
    decodeCheckpointBytes(fileWith("sink", [record], new Uint8Array([0]))),
  );
  assert.match(
    trailing.message,
    /sink section of component "c" .*: 1 bytes follow the last of the 1 records/,
  );
  const two = await rejection(() => decodeCheckpointBytes(fileWith("ingress", [record, record])));
  assert.match(two.message, /ingress section of component "c" .*: expected 1 record, found 2/);
});

/** What the generated code writes for `records`: each one length-delimited. */
function generatedPayload(records: readonly PendingMessageRecord[]): Buffer {
  const writer = protobuf.Writer.create();
  for (const record of records) {
    writer.fork();
    pb.PendingMessageRecord.encode(
      {
        target: record.target,
        argument: record.argument,
        ...(record.caller === undefined ? {} : { caller: record.caller }),
      },
      writer,
    );
    writer.ldelim();
  }
  return Buffer.from(writer.finish());
}

/** `records` as the runtime holds them: runs of consecutive messages to one target. */
function asRuns(records: readonly PendingMessageRecord[]): PendingMessageRun[] {
  const runs: { target: PendingMessageRecord["target"]; messages: PendingInput[] }[] = [];
  for (const record of records) {
    const last = runs.at(-1);
    const input: PendingInput = {
      caller:
        record.caller === undefined
          ? undefined
          : { typename: record.caller.functionType, id: record.caller.id },
      argument: {
        typename: record.argument.typename,
        hasValue: record.argument.hasValue,
        bytes: record.argument.value,
      },
    };
    if (last !== undefined && last.target === record.target) last.messages.push(input);
    else runs.push({ target: record.target, messages: [input] });
  }
  return runs;
}

const noProblem = (what: string, index: number): never => assert.fail(`${index}: ${what}`);

test("pending messages are written byte for byte as the generated code writes them", () => {
  // Records often share their target object, as a mailbox's messages do.
  const records = fc
    .array(fc.tuple(pendingMessage, fc.integer({ min: 1, max: 4 })), { maxLength: 8 })
    .map((entries) =>
      entries.flatMap(([record, times]) => Array<typeof record>(times).fill(record)),
    );
  fc.assert(
    fc.property(records, records, (given, grouped) => {
      const expected = generatedPayload([...given, ...grouped]);
      const writer = new MessagePayloadWriter(noProblem);
      writer.addRecords(given);
      writer.addRuns(asRuns(grouped));
      assert.equal(writer.count, given.length + grouped.length);
      assert.deepEqual(Buffer.from(writer.finish()), expected);
    }),
    { numRuns: 500 },
  );
});

test("a pending message the format cannot hold is refused with its index", () => {
  const target = { functionType: "ns/f", id: "a" };
  const argument = { typename: "ns/t", hasValue: true, bytes: new Uint8Array([1]) };
  const problems: string[] = [];
  const fail = (what: string, index: number): never => {
    problems.push(`${index}: ${what}`);
    throw new Error(what);
  };
  const lone = "\ud800";
  const cases: PendingMessageRun[][] = [
    [
      {
        target,
        messages: [
          { caller: undefined, argument },
          { caller: undefined, argument },
        ],
      },
      { target: { functionType: "ns/f", id: lone }, messages: [{ caller: undefined, argument }] },
    ],
    [
      {
        target,
        messages: [
          { caller: undefined, argument },
          { caller: { typename: lone, id: "b" }, argument },
        ],
      },
    ],
    [
      {
        target,
        messages: [{ caller: undefined, argument: { ...argument, typename: `ns/${lone}` } }],
      },
    ],
  ];
  for (const runs of cases) {
    assert.throws(() => new MessagePayloadWriter(fail).addRuns(runs));
  }
  assert.deepEqual(problems, [
    `2: target.id: ${JSON.stringify(lone)} has a lone surrogate (not representable in UTF-8)`,
    `1: caller.functionType: ${JSON.stringify(lone)} has a lone surrogate (not representable in UTF-8)`,
    `0: argument.typename: ${JSON.stringify(`ns/${lone}`)} has a lone surrogate (not representable in UTF-8)`,
  ]);
});

test("writers in use at the same time do not share their buffer", () => {
  const target = { functionType: "ns/f", id: "a" };
  const message = (byte: number): PendingInput => ({
    caller: undefined,
    argument: { typename: "ns/t", hasValue: true, bytes: new Uint8Array(100).fill(byte) },
  });
  const first = new MessagePayloadWriter(noProblem);
  const second = new MessagePayloadWriter(noProblem);
  first.addRuns([{ target, messages: [message(1)] }]);
  second.addRuns([{ target, messages: [message(2)] }]);
  const one = first.finish();
  const two = second.finish();
  assert.equal(one.at(-1), 1);
  assert.equal(two.at(-1), 2);
  // The next writer reuses the scratch buffer; earlier payloads are copies and stay as they were.
  const third = new MessagePayloadWriter(noProblem);
  third.addRuns([{ target, messages: [message(3), message(3)] }]);
  third.finish();
  assert.equal(one.at(-1), 1);
  assert.equal(two.at(-1), 2);
});
