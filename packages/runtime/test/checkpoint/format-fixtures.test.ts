/**
 * Golden fixtures of the checkpoint format, kept forever: each `test/fixtures/checkpoint/*.sfc`
 * decodes to what its `.json` describes, and (for files of the current format version) encoding
 * the described content gives the stored bytes exactly. A failure here means files written by an
 * earlier release would no longer be read, or would be written differently.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import {
  FORMAT_VERSION,
  decodeCheckpointBytes,
  encodeCheckpointBytes,
} from "../../src/checkpoint/format/index.js";
import { FIXTURES_DIR, parseDescription } from "./format-fixture-file.js";

const names = readdirSync(FIXTURES_DIR)
  .filter((entry) => entry.endsWith(".json"))
  .map((entry) => entry.slice(0, -".json".length))
  .sort();

test("the fixture directory holds the fixtures of every release", () => {
  for (const name of [
    "full-empty",
    "full-every-record-kind",
    "incremental-chain-with-deletion",
    "savepoint",
  ]) {
    assert.ok(names.includes(name), `fixture ${name} is missing`);
  }
});

for (const name of names) {
  test(`fixture ${name} decodes to its description and re-encodes to its bytes`, async () => {
    const expected = parseDescription(readFileSync(new URL(`${name}.json`, FIXTURES_DIR), "utf8"));
    const bytes = new Uint8Array(readFileSync(new URL(`${name}.sfc`, FIXTURES_DIR)));
    const decoded = await decodeCheckpointBytes(bytes, `${name}.sfc`);
    assert.deepEqual(decoded, {
      manifest: expected.manifest,
      keyGroups: expected.keyGroups,
      global: expected.global,
    });
    if (expected.manifest.formatVersion === FORMAT_VERSION) {
      const encoded = await encodeCheckpointBytes(
        expected.manifest,
        expected.keyGroups,
        expected.global,
      );
      assert.deepEqual(encoded, bytes);
    }
  });
}
