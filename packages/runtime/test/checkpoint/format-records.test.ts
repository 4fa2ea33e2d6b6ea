/**
 * Records inside sections: fields a newer writer added are ignored (the evolution rule of
 * `proto/checkpoint.proto`), and a section whose CRC matches but whose records do not decode is a
 * `corrupt-data` error naming the record's index. Files here are assembled by hand from the
 * format's layout so that the checks behind the CRC can be reached. The hand-written encoder of
 * pending messages writes exactly the generated code's bytes.
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
import type { CheckpointManifest } from "../../src/checkpoint/model.js";
import { RECORD_CODECS } from "../../src/checkpoint/format/records.js";
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

test("pending messages are written byte for byte as the generated code writes them", () => {
  const codec = RECORD_CODECS.messages;
  const fail = (what: string): never => assert.fail(what);
  fc.assert(
    fc.property(pendingMessage, (record) => {
      const writer = protobuf.Writer.create();
      codec.encode(record, writer, fail);
      const generated = pb.PendingMessageRecord.encode({
        target: record.target,
        argument: record.argument,
        ...(record.caller === undefined ? {} : { caller: record.caller }),
      }).finish();
      assert.deepEqual(Buffer.from(writer.finish()), Buffer.from(generated));
    }),
    { numRuns: 500 },
  );
});
