/**
 * The address filter never rules out an address it was given (a false negative would make the
 * store lose state), and rules out most others, as it grows through several layers.
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
  assert.ok(filter.bytes < added * 4, `about 10 bits per address (${filter.bytes} bytes)`);
  for (let i = 0; i < added; i++) {
    if (!filter.mayContain(addressHash(seed, `user-${i}`))) assert.fail(`lost user-${i}`);
  }
  const probes = 200_000;
  let positives = 0;
  for (let i = 0; i < probes; i++)
    if (filter.mayContain(addressHash(seed, `other-${i}`))) positives++;
  assert.ok(
    positives / probes < 0.03,
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
