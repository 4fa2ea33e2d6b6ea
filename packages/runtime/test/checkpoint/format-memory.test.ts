/**
 * Encoding is streaming: a checkpoint of 300,000 state records over 128 key groups, produced
 * lazily, comes out in chunks of about 64 KiB (or one section when a section is larger), never as
 * one buffer of the whole file. And it shares the thread: a source in memory does not hold the
 * event loop for the whole file.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  encodeCheckpoint,
  encodeCheckpointBytes,
  openCheckpoint,
} from "../../src/checkpoint/format/index.js";
import { RUN_BYTES } from "../../src/checkpoint/format/decode.js";
import type {
  CheckpointManifest,
  KeyGroupContent,
  StateRecord,
} from "../../src/checkpoint/model.js";
import { createCountingStorage } from "./format-storage.js";

const KEY_GROUPS = 128;
const RECORDS = 300_000;

function stateOf(keyGroup: number): StateRecord[] {
  const state: StateRecord[] = [];
  for (let i = keyGroup; i < RECORDS; i += KEY_GROUPS) {
    state.push({
      functionType: "example/greeter",
      id: `user-${i}`,
      values: [
        {
          name: "seen_count",
          typename: "io.statefun.types/int",
          value: new Uint8Array([0x0d, i & 0xff, 0, 0, 0]),
          expiresAtMs: Infinity,
        },
      ],
    });
  }
  return state;
}

/** The manifest of a full checkpoint file with `maxKeyGroups` key groups. */
function fullManifest(maxKeyGroups: number): CheckpointManifest {
  return {
    formatVersion: 1,
    id: 1,
    kind: "checkpoint",
    createdAtMs: 0,
    maxKeyGroups,
    mode: "exactly-once",
    full: true,
    chain: [],
    info: {},
  };
}

function* keyGroups(): Generator<KeyGroupContent> {
  for (let keyGroup = 0; keyGroup < KEY_GROUPS; keyGroup++) {
    yield { keyGroup, state: stateOf(keyGroup), messages: [], delayed: [] };
  }
}

test("300,000 state records are encoded in chunks far smaller than the file", async () => {
  const manifest = fullManifest(KEY_GROUPS);
  let total = 0;
  let largest = 0;
  let chunks = 0;
  const storage = createCountingStorage();
  async function* measured(): AsyncGenerator<Uint8Array> {
    for await (const chunk of encodeCheckpoint(manifest, keyGroups(), {
      egress: [],
      sinks: [],
      ingresses: [],
    })) {
      total += chunk.length;
      largest = Math.max(largest, chunk.length);
      chunks += 1;
      yield chunk;
    }
  }
  await storage.write("big.sfc", measured());
  assert.ok(total > 10_000_000, `total ${total} bytes`);
  assert.ok(largest * 50 < total, `largest chunk ${largest} of ${total} bytes`);

  const file = await openCheckpoint(storage, "big.sfc");
  // Each chunk is a gathered 64 KiB or one section's payload (larger than that here).
  const largestSection = Math.max(...file.sections.map((section) => section.length));
  assert.ok(largest <= Math.max(64 * 1024, largestSection), `largest chunk ${largest} bytes`);
  assert.ok(chunks >= KEY_GROUPS, `${chunks} chunks`);
  assert.equal(file.keyGroups().length, KEY_GROUPS);
  assert.equal(
    file.sections.reduce((sum, section) => sum + section.records, 0),
    RECORDS,
  );
  const last = await file.readKeyGroup(KEY_GROUPS - 1);
  assert.deepEqual(last.state, stateOf(KEY_GROUPS - 1));

  // A restore reads the key groups in order, many at a time, in reads of at most RUN_BYTES.
  storage.resetCounts();
  let keyGroup = 0;
  for await (const content of file.keyGroupsInOrder({ stateOnly: true })) {
    assert.equal(content.keyGroup, keyGroup);
    assert.deepEqual(content.state, stateOf(keyGroup), `key group ${keyGroup}`);
    keyGroup++;
  }
  assert.equal(keyGroup, KEY_GROUPS);
  assert.ok(storage.largestRead <= RUN_BYTES, `largest read ${storage.largestRead} bytes`);
  const least = Math.ceil(total / RUN_BYTES);
  assert.ok(
    storage.reads >= least && storage.reads <= 2 * least,
    `${storage.reads} reads for ${total} bytes (a read per key group would be ${KEY_GROUPS})`,
  );
});

test("a file rewritten under another manifest is copied in reads of at most RUN_BYTES", async () => {
  const storage = createCountingStorage();
  const manifest = fullManifest(KEY_GROUPS);
  const global = { egress: [], sinks: [], ingresses: [] };
  await storage.write("f.sfc", encodeCheckpoint(manifest, keyGroups(), global));
  const total = (storage.objects.get("f.sfc") as Uint8Array).length;
  const file = await openCheckpoint(storage, "f.sfc");
  storage.resetCounts();
  const rebased = { ...manifest, kind: "checkpoint" as const, info: { savepoint: "s.sfc" } };
  let largestChunk = 0;
  for await (const chunk of file.withManifest(rebased)) {
    largestChunk = Math.max(largestChunk, chunk.length);
  }
  assert.ok(total > 2 * RUN_BYTES, `${total} bytes`);
  assert.ok(
    storage.largestRead <= RUN_BYTES && largestChunk <= RUN_BYTES,
    `largest read ${storage.largestRead} bytes`,
  );
  const least = Math.ceil(total / RUN_BYTES);
  assert.ok(storage.reads >= least && storage.reads <= 2 * least, `${storage.reads} reads`);
});

test("a key group larger than a read of several is read alone, whole", async () => {
  const manifest = fullManifest(4);
  const state = (keyGroup: number, count: number, bytes: number): StateRecord[] =>
    Array.from({ length: count }, (_, i) => ({
      functionType: "example/blob",
      id: `${keyGroup}-${i}`,
      values: [
        { name: "v", typename: "t/t", value: new Uint8Array(bytes).fill(i), expiresAtMs: Infinity },
      ],
    }));
  const contents: KeyGroupContent[] = [
    { keyGroup: 0, state: state(0, 10, 100), messages: [], delayed: [] },
    { keyGroup: 1, state: state(1, 3, RUN_BYTES / 2), messages: [], delayed: [] },
    { keyGroup: 3, state: state(3, 10, 100), messages: [], delayed: [] },
  ];
  const storage = createCountingStorage();
  await storage.write(
    "f.sfc",
    encodeCheckpoint(manifest, contents, { egress: [], sinks: [], ingresses: [] }),
  );
  const file = await openCheckpoint(storage, "f.sfc");
  storage.resetCounts();
  const read: KeyGroupContent[] = [];
  for await (const content of file.keyGroupsInOrder()) read.push(content);
  assert.deepEqual(read, contents);
  assert.equal(storage.reads, 3, "key group 1 alone, between the other two");
});

test("encoding a large file from memory lets the event loop run every few milliseconds", async () => {
  const manifest = fullManifest(KEY_GROUPS);
  const contents = [...keyGroups()];
  const global = { egress: [], sinks: [], ingresses: [] };
  /** Encodes the file once: turns of the event loop meanwhile, and the longest time between two. */
  const encodeOnce = async () => {
    let turns = 0;
    let longestGapMs = 0;
    let last = performance.now();
    let encoding = true;
    const tick = (): void => {
      const now = performance.now();
      longestGapMs = Math.max(longestGapMs, now - last);
      last = now;
      turns++;
      if (encoding) setImmediate(tick);
    };
    setImmediate(tick);
    const started = performance.now();
    await encodeCheckpointBytes(manifest, contents, global);
    const tookMs = performance.now() - started;
    encoding = false;
    return { turns, longestGapMs, tookMs };
  };
  // A whole key group (about 2,300 records) is encoded between two turns, at most. A garbage
  // collection or a busy machine can hold up one run: an encoder that does not yield fails all.
  const runs = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const run = await encodeOnce();
    runs.push(run);
    if (run.turns >= 10 && run.longestGapMs < run.tookMs / 4) return;
  }
  assert.fail(
    runs
      .map(
        ({ turns, longestGapMs, tookMs }) =>
          `${turns} turns of the event loop in ${tookMs.toFixed(0)} ms, the longest wait ${longestGapMs.toFixed(0)} ms`,
      )
      .join("; "),
  );
});
