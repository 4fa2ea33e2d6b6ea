/**
 * Torn, truncated and corrupt checkpoint files: every one is a `corrupt-data` error naming the
 * file, the section and what is wrong; never a success, a partial read or another kind of error.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { StatefunError } from "@statefun-ts/protocol";
import {
  decodeCheckpointBytes,
  encodeCheckpointBytes,
  openCheckpoint,
} from "../../src/checkpoint/format/index.js";
import type { CheckpointFile } from "../../src/checkpoint/format/index.js";
import { FIXTURE_CASES } from "./format-fixture-cases.js";
import {
  collect,
  createCountingStorage,
  flipByte,
  manifestRange,
  rejection,
  withManifest,
} from "./format-storage.js";

const richCase = FIXTURE_CASES.find((c) => c.name === "full-every-record-kind")!;
const rich = await encodeCheckpointBytes(richCase.manifest, richCase.keyGroups, richCase.global);
const NAME = "checkpoints/chk-42.sfc";

async function open(bytes: Uint8Array): Promise<CheckpointFile> {
  const storage = createCountingStorage();
  storage.objects.set(NAME, bytes);
  return openCheckpoint(storage, NAME);
}

async function corruptError(action: () => Promise<unknown>): Promise<StatefunError> {
  const error = await rejection(action);
  assert.equal(error.code, "corrupt-data", error.message);
  assert.ok(error.message.startsWith(`checkpoint file ${NAME}: `), error.message);
  return error;
}

test("every truncation of a file is a corrupt-data error", async () => {
  for (let length = 0; length < rich.length; length++) {
    const error = await rejection(() => decodeCheckpointBytes(rich.subarray(0, length), NAME));
    assert.equal(error.code, "corrupt-data", `prefix of ${length} bytes: ${error.message}`);
  }
  const short = await corruptError(() => open(rich.subarray(0, 10)));
  assert.match(short.message, /truncated: 10 bytes, fewer than the smallest checkpoint file/);
  const torn = await corruptError(() => open(rich.subarray(0, rich.length - 1)));
  assert.match(torn.message, /truncated or torn write: the file does not end with "SFCKEND1"/);
});

test("a flipped byte in a section is a CRC error naming that section", async () => {
  const file = await open(rich);
  assert.equal(file.sections.length, 8);
  for (const section of file.sections) {
    for (let at = section.offset; at < section.offset + section.length; at++) {
      const damaged = await open(flipByte(rich, at));
      const read = () =>
        section.keyGroup === undefined
          ? damaged.readGlobal()
          : damaged.readKeyGroup(section.keyGroup);
      const error = await corruptError(read);
      const owner =
        section.keyGroup !== undefined
          ? `${section.kind} section of key group ${section.keyGroup}`
          : section.component !== undefined
            ? `${section.kind} section of component ${JSON.stringify(section.component)}`
            : `${section.kind} section`;
      const end = section.offset + section.length;
      assert.ok(
        error.message.startsWith(
          `checkpoint file ${NAME}: ${owner} (bytes ${section.offset}..${end}): CRC mismatch: stored 0x`,
        ),
        error.message,
      );
      assert.equal(error.details["section"], section.kind);
      assert.equal(error.details["keyGroup"], section.keyGroup);
    }
  }
  // The other key groups of a damaged file still read.
  const first = file.sections.find((section) => section.keyGroup === 0)!;
  const damaged = await open(flipByte(rich, first.offset + 20));
  assert.deepEqual(await damaged.readKeyGroup(127), richCase.keyGroups[2]);
});

test("a flipped byte in the manifest is a manifest CRC error; in the footer, corrupt-data", async () => {
  const { start, length } = manifestRange(rich);
  for (let at = start; at < start + length; at++) {
    const error = await corruptError(() => open(flipByte(rich, at)));
    assert.match(error.message, /: manifest CRC mismatch: stored 0x[0-9a-f]{8}, computed 0x/);
  }
  for (let at = start + length; at < rich.length; at++) {
    await corruptError(() => open(flipByte(rich, at)));
  }
  for (let at = 0; at < 8; at++) {
    const error = await corruptError(() => open(flipByte(rich, at)));
    assert.match(error.message, /bad magic: expected "SFCKPT01", found .*: not a checkpoint file/);
  }
});

test("a manifest length past the start of the file is truncation", async () => {
  const bytes = rich.slice();
  new DataView(bytes.buffer).setUint32(bytes.length - 16, bytes.length, true);
  const error = await corruptError(() => open(bytes));
  assert.match(error.message, /truncated: the manifest length \d+ exceeds the file/);
});

test("an index pointing past the sections, overlapping, or naming an unknown kind is corrupt", async () => {
  const edits: [string, (sections: Record<string, unknown>[]) => void, RegExp][] = [
    [
      "past the end",
      (s) => (s[7]!["length"] = 100_000),
      /sections\[7\]: bytes \d+\.\.\d+ extend past the sections' end \d+/,
    ],
    [
      "overlap",
      (s) => (s[2]!["offset"] = 9),
      /sections\[2\]\.offset: 9 overlaps the previous section/,
    ],
    [
      "kind",
      (s) => (s[0]!["kind"] = "timers"),
      /sections\[0\]\.kind: expected one of state, messages, delayed, egress, sink, ingress, found "timers"/,
    ],
    [
      "key group",
      (s) => (s[5]!["keyGroup"] = 128),
      /sections\[5\]\.keyGroup: expected an integer from 0 to 127, found 128/,
    ],
    [
      "twice",
      (s) => (s[5]!["kind"] = "state"),
      /sections\[5\]: a second state section for the same owner/,
    ],
  ];
  for (const [what, edit, message] of edits) {
    const bytes = withManifest(rich, (json) => {
      edit(json["sections"] as Record<string, unknown>[]);
      return json;
    });
    const error = await corruptError(() => open(bytes));
    assert.match(error.message, message, what);
  }
});

test("an index that disagrees with a section's header is corrupt", async () => {
  const bytes = withManifest(rich, (json) => {
    const sections = json["sections"] as Record<string, unknown>[];
    sections[6]!["records"] = 2;
    sections[5]!["kind"] = "delayed";
    return json;
  });
  const file = await open(bytes);
  const counts = await corruptError(() => file.readKeyGroup(5));
  assert.match(
    counts.message,
    /delayed section of key group 5 .*: the header counts 3 records, the manifest's index 2/,
  );
  const kind = await corruptError(() => file.readKeyGroup(0));
  assert.match(
    kind.message,
    /delayed section of key group 0 .*: the section header names the messages section of key group 0/,
  );
  assert.deepEqual(await file.readKeyGroup(127), richCase.keyGroups[2]);
});

test("a newer format version is refused with the supported version", async () => {
  const bytes = withManifest(rich, (json) => ({ ...json, formatVersion: 2, sections: "new" }));
  const error = await corruptError(() => open(bytes));
  assert.match(
    error.message,
    /unsupported format version 2: this reader supports version 1; the file was written by a newer statefun-ts/,
  );
});

test("a manifest that is not JSON, or misses a field, is corrupt; unknown fields are ignored", async () => {
  const notJson = await corruptError(() =>
    open(
      withManifest(
        rich,
        () => undefined,
        (text) => text.slice(0, -1),
      ),
    ),
  );
  assert.match(notJson.message, /the manifest is not UTF-8 JSON/);
  const missing = await corruptError(() =>
    open(withManifest(rich, ({ mode: _mode, ...json }) => json)),
  );
  assert.match(
    missing.message,
    /manifest: mode: expected one of exactly-once, at-least-once, found nothing/,
  );
  const extended = withManifest(rich, (json) => ({ ...json, compression: "none", extra: [1] }));
  assert.deepEqual(await decodeCheckpointBytes(extended), await decodeCheckpointBytes(rich));
});

test("reading key groups in order stops at a damaged section, after the key groups before it", async () => {
  const file = await open(rich);
  const last = file.sections.findLast((section) => section.keyGroup !== undefined)!;
  const damaged = await open(flipByte(rich, last.offset + 20));
  const before: number[] = [];
  const error = await corruptError(async () => {
    for await (const content of damaged.keyGroupsInOrder()) before.push(content.keyGroup);
  });
  assert.match(error.message, /CRC mismatch/);
  assert.equal(error.details["keyGroup"], last.keyGroup);
  assert.deepEqual(
    before,
    file.keyGroups().filter((keyGroup) => keyGroup < (last.keyGroup as number)),
  );
});

test("rewriting a file under another manifest stops at a damaged section", async () => {
  const file = await open(rich);
  const last = file.sections.findLast((section) => section.keyGroup !== undefined)!;
  const damaged = await open(flipByte(rich, last.offset + 20));
  const error = await corruptError(() => collect(damaged.withManifest(richCase.manifest)));
  assert.match(error.message, /CRC mismatch/);
  assert.equal(error.details["keyGroup"], last.keyGroup);
});

test("storage failures pass through as they are, not as corrupt data", async () => {
  const storage = createCountingStorage();
  const error = await rejection(() => openCheckpoint(storage, "missing.sfc"));
  assert.equal(error.code, "storage-failed");
});

test("reading one key group of a big file reads only that key group's sections", async () => {
  const keyGroups = Array.from({ length: 128 }, (_, keyGroup) => ({
    keyGroup,
    state: Array.from({ length: 200 }, (_, i) => ({
      functionType: "example/greeter",
      id: `user-${keyGroup}-${i}`,
      values: [
        { name: "v", typename: "t/t", value: new Uint8Array(64).fill(i), expiresAtMs: Infinity },
      ],
    })),
    messages: [],
    delayed: [],
  }));
  const bytes = await encodeCheckpointBytes(richCase.manifest, keyGroups, richCase.global);
  const storage = createCountingStorage();
  storage.objects.set(NAME, bytes);
  const file = await openCheckpoint(storage, NAME);
  const openBytes = storage.bytesRead;
  assert.ok(openBytes <= 64 * 1024 + 8, `open read ${openBytes} bytes`);
  storage.resetCounts();
  assert.deepEqual(await file.readKeyGroup(77), keyGroups[77]);
  assert.equal(storage.reads, 1);
  const section = file.sections.find((s) => s.keyGroup === 77)!;
  assert.equal(storage.bytesRead, section.length);
  assert.ok(
    storage.bytesRead * 100 < bytes.length,
    `${storage.bytesRead} of ${bytes.length} bytes`,
  );
});
