/**
 * The address filter never rules out an address it was given (a false negative would make the
 * store lose state), at any point of its growth, and rules out every other address but those of
 * the same 32-bit hash; read back from its bytes (as a clean stop keeps it), it answers and grows
 * as the original; bytes that are not a filter are refused.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AddressFilter, addressHash, tableSeed } from "../src/address-filter.js";

/** A stand-in for address hashes: distinct, spread over all 32 bits (Knuth's multiplier). */
function hashOf(n: number): number {
  return Math.imul(n + 1, 2654435761) | 0;
}

test("it answers as the set of hashes it was given, at every point of its growth", () => {
  const filter = new AddressFilter();
  const added = new Set<number>();
  const firstBytes = filter.bytes;
  let next = 0;
  // Checked every 50,000 adds: some checks fall while the old table is still being moved.
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 50_000; i++) {
      const hash = hashOf(next++);
      filter.add(hash);
      added.add(hash >>> 0);
    }
    for (const hash of added) if (!filter.mayContain(hash)) assert.fail(`lost ${hash}`);
    for (let i = 0; i < 20_000; i++) {
      const other = hashOf(10_000_000 + round * 20_000 + i);
      if (filter.mayContain(other)) assert.fail(`${other} was never added`);
    }
  }
  assert.ok(filter.bytes >= 8 * firstBytes, `grew (${filter.bytes} bytes)`);
  assert.ok(filter.bytes <= 2_000_000 * 16, `a few bytes per address (${filter.bytes} bytes)`);
});

test("added addresses are kept; other addresses pass only when they share a hash", () => {
  const filter = new AddressFilter();
  const seed = tableSeed("example/user");
  const added = 3_000_000;
  for (let i = 0; i < added; i++) filter.add(addressHash(seed, `user-${i}`));
  for (let i = 0; i < added; i++) {
    if (!filter.mayContain(addressHash(seed, `user-${i}`))) assert.fail(`lost user-${i}`);
  }
  const probes = 200_000;
  let positives = 0;
  for (let i = 0; i < probes; i++)
    if (filter.mayContain(addressHash(seed, `other-${i}`))) positives++;
  // One in about 1,400 shares a hash with one of 3,000,000 addresses.
  assert.ok(
    positives / probes < 0.002,
    `false positives ${((100 * positives) / probes).toFixed(3)}%`,
  );
});

test("the same id in another table is another address", () => {
  const filter = new AddressFilter();
  const ids = Array.from({ length: 10_000 }, (_, i) => `id-${i}`);
  for (const id of ids) filter.add(addressHash(tableSeed("example/a"), id));
  const other = tableSeed("example/b");
  const positives = ids.filter((id) => filter.mayContain(addressHash(other, id))).length;
  assert.ok(positives < 5, `${positives} of 10,000 ids of example/b may be contained`);
});

test("ids differing in one character, or in non-ASCII characters, hash apart", () => {
  const seed = tableSeed("example/a");
  const hashes = new Set<number>();
  for (const id of ["a", "b", "ab", "ba", "é", "e\u0301", "日本", "本日", "", " "]) {
    hashes.add(addressHash(seed, id));
  }
  assert.equal(hashes.size, 10);
});

test("a filter read back from its bytes answers as the original, and keeps growing the same", () => {
  const filter = new AddressFilter();
  // Stopped while the table grows: the bytes hold every hash all the same.
  const count = 196_608 + 1_000;
  for (let i = 0; i < count; i++) filter.add(hashOf(i));
  const copy = AddressFilter.fromBytes(filter.toBytes());
  assert.ok(copy !== undefined);
  assert.equal(copy.bytes, filter.bytes);
  for (let i = 0; i < count; i++) if (!copy.mayContain(hashOf(i))) assert.fail(`lost ${i}`);
  for (let i = count; i < count + 20_000; i++) assert.equal(copy.mayContain(hashOf(i)), false);
  for (let i = count; i < 1_000_000; i++) {
    filter.add(hashOf(i));
    copy.add(hashOf(i));
  }
  assert.deepEqual(copy.toBytes(), filter.toBytes(), "the same slots and count");
});

/**
 * `count` hashes whose home is the last slot of the first table (2^18 slots), the first `skip`
 * passed over: their runs wrap past the table's end.
 */
function lastSlotHashes(count: number, skip = 0): number[] {
  const found: number[] = [];
  for (let value = 1; found.length < skip + count; value++) {
    if (Math.imul(value, 0x9e3779b1) >>> 14 === (1 << 18) - 1) found.push(value);
  }
  return found.slice(skip);
}

test("hashes whose runs wrap past the old table's end are kept while it is moved", () => {
  const filter = new AddressFilter();
  const wrapped = lastSlotHashes(40);
  const added = new Set<number>(wrapped);
  for (const hash of wrapped) filter.add(hash);
  const firstBytes = filter.bytes;
  let next = 0;
  // Up to the first table's growth: 196,608 hashes.
  while (added.size < 196_608) {
    const hash = hashOf(next++) >>> 0;
    filter.add(hash);
    added.add(hash);
  }
  // While it is moved, more of them: each would land in the part already moved.
  const later = lastSlotHashes(40, 40);
  const others = lastSlotHashes(20, 80);
  for (const hash of later) {
    filter.add(hash);
    added.add(hash);
    for (let i = 0; i < 100; i++) {
      const other = hashOf(next++) >>> 0;
      filter.add(other);
      added.add(other);
    }
    assert.ok(filter.bytes > 2 * firstBytes, "still moving the old table");
    for (const kept of [...wrapped, ...later]) {
      if (added.has(kept) && !filter.mayContain(kept)) assert.fail(`lost ${kept}`);
    }
    for (const other of others) assert.equal(filter.mayContain(other), false, `${other}`);
  }
  // Once the old table is moved, every hash is in the new one.
  while (filter.bytes > 2 * firstBytes) filter.add(hashOf(next++));
  for (const hash of added) if (!filter.mayContain(hash)) assert.fail(`lost ${hash}`);
  for (const other of others) assert.equal(filter.mayContain(other), false, `${other}`);
});

test("a hash of 0 is held like any other", () => {
  const filter = new AddressFilter();
  assert.equal(filter.mayContain(0), false);
  filter.add(0);
  assert.equal(filter.mayContain(0), true);
  const copy = AddressFilter.fromBytes(filter.toBytes());
  assert.equal(copy?.mayContain(0), true);
});

test("bytes that are not a filter are refused", () => {
  const filter = new AddressFilter();
  for (let i = 0; i < 1_000; i++) filter.add(hashOf(i));
  const bytes = filter.toBytes();
  assert.ok(AddressFilter.fromBytes(bytes) !== undefined);
  const unaligned = new Uint8Array(bytes.length + 1).subarray(1);
  unaligned.set(bytes);
  assert.equal(AddressFilter.fromBytes(unaligned)?.mayContain(hashOf(999)), true, "unaligned");
  assert.equal(AddressFilter.fromBytes(bytes.subarray(0, bytes.length - 4)), undefined);
  assert.equal(AddressFilter.fromBytes(new Uint8Array([...bytes, 0, 0, 0, 0])), undefined);
  assert.equal(AddressFilter.fromBytes(bytes.subarray(0, 3)), undefined);
  assert.equal(AddressFilter.fromBytes(new Uint8Array(8)), undefined, "no slots");
  const words = new Uint32Array(bytes.slice().buffer);
  words[1] = 999;
  assert.equal(AddressFilter.fromBytes(new Uint8Array(words.buffer)), undefined, "wrong count");
  const odd = new Uint32Array(2 + 3 * 65_536);
  odd[0] = 3 * 65_536;
  assert.equal(AddressFilter.fromBytes(new Uint8Array(odd.buffer)), undefined, "not a power of 2");
});
