/**
 * Round trips of the checkpoint format: for arbitrary content, what `openCheckpoint` reads back
 * from the file `encodeCheckpoint` wrote is the content (key groups without records left out),
 * encoding is deterministic, a file rewritten under another manifest is the same content encoded
 * with it, and encoding rejects input the format cannot hold.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  decodeCheckpointBytes,
  encodeCheckpoint,
  encodeCheckpointBytes,
  openCheckpoint,
} from "../../src/checkpoint/format/index.js";
import type { KeyGroupContent } from "../../src/checkpoint/model.js";
import { checkpointInput, manifest, nonEmptyKeyGroups } from "./format-arbitraries.js";
import type { CheckpointInput } from "./format-arbitraries.js";
import { collect, createCountingStorage, rejection } from "./format-storage.js";

async function* slowly<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) {
    await new Promise((resolve) => setImmediate(resolve));
    yield item;
  }
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
}

const sample: CheckpointInput = {
  manifest: {
    formatVersion: 1,
    id: 1,
    kind: "checkpoint",
    createdAtMs: 1,
    maxKeyGroups: 8,
    mode: "exactly-once",
    full: true,
    chain: [],
    info: {},
  },
  keyGroups: [],
  global: { egress: [], sinks: [], ingresses: [] },
};

function group(keyGroup: number, id = "a"): KeyGroupContent {
  return {
    keyGroup,
    state: [{ functionType: "ns/f", id, values: [] }],
    messages: [],
    delayed: [],
  };
}

test("what is read back from storage is what was written, and encoding is deterministic", async () => {
  await fc.assert(
    fc.asyncProperty(checkpointInput, fc.boolean(), async (input, asynchronous) => {
      const storage = createCountingStorage();
      const keyGroups = asynchronous ? slowly(input.keyGroups) : input.keyGroups;
      await storage.write("f.sfc", encodeCheckpoint(input.manifest, keyGroups, input.global));
      const file = await openCheckpoint(storage, "f.sfc");
      const expected = nonEmptyKeyGroups(input.keyGroups);
      assert.deepEqual(file.manifest, input.manifest);
      assert.deepEqual(
        file.keyGroups(),
        expected.map((content) => content.keyGroup),
      );
      for (const content of expected) {
        assert.deepEqual(await file.readKeyGroup(content.keyGroup), content);
      }
      assert.deepEqual(await all(file.keyGroupsInOrder()), expected);
      // Either part alone: key groups without any of it are left out.
      assert.deepEqual(
        await all(file.keyGroupsInOrder({ stateOnly: true })),
        expected
          .filter((content) => content.state.length > 0)
          .map((content) => ({ ...content, messages: [], delayed: [] })),
      );
      assert.deepEqual(
        await all(file.keyGroupsInOrder({ withoutState: true })),
        expected
          .filter((content) => content.messages.length > 0 || content.delayed.length > 0)
          .map((content) => ({ ...content, state: [] })),
      );
      assert.deepEqual(await file.readGlobal(), input.global);

      const again = await encodeCheckpointBytes(input.manifest, input.keyGroups, input.global);
      assert.deepEqual(again, storage.objects.get("f.sfc"));
    }),
    { numRuns: 150 },
  );
});

test("a file rewritten under another manifest is the file encoded with that manifest", async () => {
  await fc.assert(
    fc.asyncProperty(checkpointInput, manifest, async (input, other) => {
      const storage = createCountingStorage();
      await storage.write("f.sfc", encodeCheckpoint(input.manifest, input.keyGroups, input.global));
      const file = await openCheckpoint(storage, "f.sfc");
      const replacement = { ...other, maxKeyGroups: input.manifest.maxKeyGroups };
      const rewritten = await collect(file.withManifest(replacement));
      assert.deepEqual(
        rewritten,
        await encodeCheckpointBytes(replacement, input.keyGroups, input.global),
      );
      if (other.maxKeyGroups !== input.manifest.maxKeyGroups) {
        const error = await rejection(() => collect(file.withManifest(other)));
        assert.equal(error.code, "invalid-argument");
        assert.match(error.message, /its sections are of \d+ key groups, the new manifest has/u);
      }
    }),
    { numRuns: 100 },
  );
});

test("decodeCheckpointBytes decodes a whole file through the same path", async () => {
  await fc.assert(
    fc.asyncProperty(checkpointInput, async (input) => {
      const bytes = await encodeCheckpointBytes(input.manifest, input.keyGroups, input.global);
      assert.deepEqual(await decodeCheckpointBytes(bytes), {
        manifest: input.manifest,
        keyGroups: nonEmptyKeyGroups(input.keyGroups),
        global: input.global,
      });
    }),
    { numRuns: 100 },
  );
});

test("a key group without records has no sections and reads as empty", async () => {
  const empty = { keyGroup: 3, state: [], messages: [], delayed: [] };
  const bytes = await encodeCheckpointBytes(sample.manifest, [empty], sample.global);
  const storage = createCountingStorage();
  storage.objects.set("f", bytes);
  const file = await openCheckpoint(storage, "f");
  assert.deepEqual(file.keyGroups(), []);
  assert.deepEqual(file.sections, []);
  assert.deepEqual(await file.readKeyGroup(3), empty);
  const outside = await rejection(() => file.readKeyGroup(8));
  assert.equal(outside.code, "invalid-argument");
  assert.match(outside.message, /key group 8 is outside \[0, 8\)/);
});

test("key groups out of order or repeated are an illegal-state error", async () => {
  for (const order of [
    [2, 1],
    [4, 4],
  ]) {
    const error = await rejection(() =>
      encodeCheckpointBytes(
        sample.manifest,
        order.map((keyGroup) => group(keyGroup)),
        sample.global,
      ),
    );
    assert.equal(error.code, "illegal-state");
    assert.match(error.message, /strictly increasing order/);
  }
});

test("encoding rejects what the format cannot hold, naming the section, record and field", async () => {
  const cases: { input: Partial<CheckpointInput>; message: RegExp }[] = [
    { input: { keyGroups: [group(8)] }, message: /key group 8 is outside \[0, 8\)/ },
    {
      input: { keyGroups: [group(1, "lone \ud800")] },
      message: /state section of key group 1 .*record 0: id: .*lone surrogate/,
    },
    {
      input: {
        keyGroups: [
          {
            ...group(2),
            state: [
              group(2).state[0]!,
              {
                functionType: "ns/f",
                id: "b",
                values: [{ name: "v", typename: "t/t", value: new Uint8Array(), expiresAtMs: 1.5 }],
              },
            ],
          },
        ],
      },
      message: /record 1: values\[0\]\.expiresAtMs: expected an integer \(ms\), found 1.5/,
    },
    {
      input: {
        global: {
          egress: [],
          sinks: [
            { id: "s", bytes: new Uint8Array() },
            { id: "s", bytes: new Uint8Array() },
          ],
          ingresses: [],
        },
      },
      message: /sinks\[1\]\.id: "s" appears twice/,
    },
    {
      input: { manifest: { ...sample.manifest, chain: ["base"] } },
      message: /manifest: chain: a full checkpoint has no chain/,
    },
    {
      input: { manifest: { ...sample.manifest, kind: "savepoint", full: false, chain: ["b"] } },
      message: /manifest: full: a savepoint is always full/,
    },
    {
      input: { manifest: { ...sample.manifest, info: { bad: NaN } } },
      message: /manifest: info\.bad: expected a string or a finite number/,
    },
  ];
  for (const { input, message } of cases) {
    const { manifest, keyGroups, global } = { ...sample, ...input };
    const error = await rejection(() => collect(encodeCheckpoint(manifest, keyGroups, global)));
    assert.equal(error.code, "invalid-argument", error.message);
    assert.match(error.message, message);
  }
});

test("chunks of about 64 KiB are produced before later key groups are requested", async () => {
  const KEY_GROUPS = 8;
  let requested = 0;
  function* groups(): Generator<KeyGroupContent> {
    for (let keyGroup = 0; keyGroup < KEY_GROUPS; keyGroup++) {
      requested = keyGroup + 1;
      // About 30 kB of state per key group: two or three key groups fill a chunk.
      const value = new Uint8Array(30_000).fill(keyGroup);
      yield {
        ...group(keyGroup),
        state: [
          {
            functionType: "ns/f",
            id: "a",
            values: [{ name: "v", typename: "t/x", value, expiresAtMs: Infinity }],
          },
        ],
      };
    }
  }
  const seen: number[] = [];
  const chunks: Uint8Array[] = [];
  for await (const chunk of encodeCheckpoint(sample.manifest, groups(), sample.global)) {
    assert.ok(chunk.length > 0 && chunk.length <= 64 * 1024, `chunk of ${chunk.length} bytes`);
    seen.push(requested);
    chunks.push(chunk);
  }
  assert.ok(seen.length >= 4, `${seen.length} chunks`);
  assert.ok((seen[0] as number) < KEY_GROUPS, `first chunk after ${seen[0]} key groups`);
  assert.deepEqual(
    seen,
    [...seen].sort((a, b) => a - b),
  );
  // The chunks are the file: the same bytes as encoding it in one piece.
  const whole = await encodeCheckpointBytes(sample.manifest, groups(), sample.global);
  assert.deepEqual(Buffer.concat(chunks), Buffer.from(whole));
});
