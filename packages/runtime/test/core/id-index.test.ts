/**
 * The index by id answers as a `Map` keyed by id does, for any sequence of additions and
 * deletions: with hashes drawn from a few values (long runs of equal and neighbouring tags, which
 * deletions must shift back across the table's end) and with real address hashes, through growth;
 * by default it shrinks only once left sparse, not each time it empties; one made to shrink at
 * once stays at most eight times its size; iteration visits every item once.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { IdIndex, hashId } from "../../src/core/id-index.js";

interface Item {
  readonly id: string;
  readonly hash: number;
}

type Op = { readonly add: boolean; readonly key: number };

/** Applies `ops` to an index and to a model, checking every answer and, at the end, every key. */
function check(ops: readonly Op[], hashOf: (key: number) => number, keys: number): void {
  const index = new IdIndex<Item>();
  const model = new Map<string, Item>();
  for (const { add, key } of ops) {
    const id = `id-${key}`;
    const present = model.get(id);
    assert.equal(index.get(hashOf(key), id), present, `get ${id} before the change`);
    if (add && present === undefined) {
      const item = { id, hash: hashOf(key) };
      index.add(item);
      model.set(id, item);
    } else if (!add) {
      const item = present ?? { id, hash: hashOf(key) };
      assert.equal(index.delete(item), present !== undefined, `delete ${id}`);
      model.delete(id);
    }
    assert.equal(index.size, model.size);
  }
  for (let key = 0; key < keys; key++) {
    const id = `id-${key}`;
    assert.equal(index.get(hashOf(key), id), model.get(id), `get ${id} at the end`);
  }
}

test("answers as a map, with colliding and neighbouring hashes", () => {
  const keys = 64;
  fc.assert(
    fc.property(
      fc.array(fc.record({ add: fc.boolean(), key: fc.nat(keys - 1) }), { maxLength: 400 }),
      // Tags 0 and 1 are the same tag; values near 2^32 and the table's size wrap around.
      fc.array(fc.constantFrom(0, 1, 2, 1023, 1024, 2047, 0xffffffff, 0xfffffbff), {
        minLength: keys,
        maxLength: keys,
      }),
      (ops, hashes) => check(ops, (key) => hashes[key] as number, keys),
    ),
    { numRuns: 300 },
  );
});

test("answers as a map through growth, with address hashes", () => {
  const seed = 0x5bd1e995;
  const keys = 20_000;
  const hashes = Array.from({ length: keys }, (_, key) => hashId(seed, `id-${key}`));
  const ops: Op[] = [];
  // Grow to 20,000 items, delete down to a few, grow again.
  for (let key = 0; key < keys; key++) ops.push({ add: true, key });
  for (let key = 0; key < keys - 100; key++) ops.push({ add: false, key: (key * 7919) % keys });
  for (let key = 0; key < keys; key += 2) ops.push({ add: true, key });
  check(ops, (key) => hashes[key] as number, keys);
});

test("a table that empties and fills again keeps its size; one left sparse shrinks", () => {
  const seed = 0x5bd1e995;
  const items = Array.from({ length: 10_000 }, (_, key) => ({
    id: `id-${key}`,
    hash: hashId(seed, `id-${key}`),
  }));
  const index = new IdIndex<Item>();
  for (const item of items) index.add(item);
  const full = index.capacity;
  assert.ok(full >= 2 * items.length, `at most half full (${full} slots)`);
  for (let round = 0; round < 20; round++) {
    for (const item of items) index.delete(item);
    for (const item of items) index.add(item);
    assert.equal(index.capacity, full, `round ${round}`);
  }
  for (const item of items) index.delete(item);
  const one = items[0] as Item;
  for (let i = 0; i < 10 * full; i++) {
    index.add(one);
    index.delete(one);
  }
  assert.equal(index.capacity, 1024, "back to its least size");
  for (const item of items) index.add(item);
  assert.ok(items.every((item) => index.get(item.hash, item.id) === item));
});

test("a deleted item is gone and leaves the others found; clear empties it", () => {
  const index = new IdIndex<Item>();
  const a = { id: "a", hash: 5 };
  const b = { id: "b", hash: 5 };
  const c = { id: "c", hash: 6 };
  for (const item of [a, b, c]) index.add(item);
  assert.equal(index.delete({ id: "a", hash: 5 }), false, "another object with a's id");
  assert.equal(index.delete(a), true);
  assert.equal(index.get(5, "a"), undefined);
  assert.equal(index.get(5, "b"), b);
  assert.equal(index.get(6, "c"), c);
  index.clear();
  assert.equal(index.size, 0);
  assert.equal(index.get(5, "b"), undefined);
});

test("one made to shrink at once stays at most eight times its size, and iterates its items", () => {
  const seed = 0x2545f491;
  const items = Array.from({ length: 50_000 }, (_, key) => ({
    id: `id-${key}`,
    hash: hashId(seed, `id-${key}`),
  }));
  const index = new IdIndex<Item>({ shrinkAtOnce: true });
  for (const item of items) index.add(item);
  const seen = new Set<Item>();
  index.forEach((item) => seen.add(item));
  assert.equal(seen.size, items.length);
  for (let left = items.length; left > 0; left--) {
    index.delete(items[left - 1] as Item);
    const bound = Math.max(1024, 8 * index.size);
    if (index.capacity > bound) assert.fail(`${index.capacity} slots for ${index.size} items`);
  }
  assert.equal(index.capacity, 1024);
  const kept = items.slice(0, 3);
  for (const item of kept) index.add(item);
  const after: Item[] = [];
  index.forEach((item) => after.push(item));
  assert.deepEqual(new Set(after), new Set(kept));
});
