/**
 * The address filter never rules out an address it was given (a false negative would make the
 * store lose state), and rules out most others, as it grows through several layers; read back
 * from its bytes (as a clean stop keeps it), it answers and grows as the original.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AddressFilter, addressHash, tableSeed } from "../src/address-filter.js";

test("every added address may be contained, across layers; most others are ruled out", () => {
  const filter = new AddressFilter();
  const seed = tableSeed("example/user");
  const added = 3_000_000;
  const firstBytes = filter.bytes;
  for (let i = 0; i < added; i++) filter.add(addressHash(seed, `user-${i}`));
  assert.ok(filter.bytes > 2 * firstBytes, `grew past its first layer (${filter.bytes} bytes)`);
  assert.ok(filter.bytes < added * 3, `a few bytes per address (${filter.bytes} bytes)`);
  for (let i = 0; i < added; i++) {
    if (!filter.mayContain(addressHash(seed, `user-${i}`))) assert.fail(`lost user-${i}`);
  }
  const probes = 200_000;
  let positives = 0;
  for (let i = 0; i < probes; i++)
    if (filter.mayContain(addressHash(seed, `other-${i}`))) positives++;
  assert.ok(
    positives / probes < 0.015,
    `false positives ${((100 * positives) / probes).toFixed(2)}%`,
  );
});

test("the same id in another table is another address", () => {
  const filter = new AddressFilter();
  const ids = Array.from({ length: 10_000 }, (_, i) => `id-${i}`);
  for (const id of ids) filter.add(addressHash(tableSeed("example/a"), id));
  const other = tableSeed("example/b");
  const positives = ids.filter((id) => filter.mayContain(addressHash(other, id))).length;
  assert.ok(positives < 100, `${positives} of 10,000 ids of example/b may be contained`);
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
  const seed = tableSeed("example/user");
  for (let i = 0; i < 1_500_000; i++) filter.add(addressHash(seed, `user-${i}`));
  const copy = AddressFilter.fromBytes(filter.toBytes());
  assert.ok(copy !== undefined);
  assert.equal(copy.bytes, filter.bytes, "every layer came back");
  for (let i = 0; i < 1_500_000; i += 7) {
    if (!copy.mayContain(addressHash(seed, `user-${i}`))) assert.fail(`lost user-${i}`);
  }
  for (let i = 0; i < 20_000; i++) {
    const hash = addressHash(seed, `other-${i}`);
    assert.equal(copy.mayContain(hash), filter.mayContain(hash));
  }
  for (let i = 0; i < 1_000_000; i++) {
    const hash = addressHash(seed, `more-${i}`);
    filter.add(hash);
    copy.add(hash);
  }
  assert.deepEqual(copy.toBytes(), filter.toBytes(), "the same layers, counts and bits");
});

test("bytes that are not a filter are refused", () => {
  const bytes = new AddressFilter().toBytes();
  assert.equal(AddressFilter.fromBytes(bytes.subarray(0, bytes.length - 4)), undefined);
  assert.equal(AddressFilter.fromBytes(new Uint8Array([...bytes, 0, 0, 0, 0])), undefined);
  assert.equal(AddressFilter.fromBytes(bytes.subarray(0, 3)), undefined);
  assert.equal(AddressFilter.fromBytes(new Uint8Array(4)), undefined, "no layer");
});
