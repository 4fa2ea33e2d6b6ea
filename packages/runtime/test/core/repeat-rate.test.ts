/**
 * The repeat estimate behind ingress's bound on queued addresses: a window's share of addresses
 * seen earlier in it, against the threshold, decided anew at each window's end.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { hashId, mixHash } from "../../src/core/id-index.js";
import { RepeatRate } from "../../src/core/repeat-rate.js";

/** A hash whose bit in a bitmap of 2^16 bits is `n` (no collisions for distinct `n`). */
const bitOf = (n: number): number => (n << 16) >>> 0;

function feed(rate: RepeatRate, hashes: Iterable<number>): void {
  for (const hash of hashes) rate.observe(hash);
}

function* range(from: number, to: number): Generator<number> {
  for (let n = from; n < to; n++) yield bitOf(n);
}

test("a stream counts as not repeating until a window shows repeats", () => {
  const rate = new RepeatRate({ window: 100, bitsLog2: 16 });
  assert.equal(rate.repeating, false);
  feed(
    rate,
    Array.from({ length: 99 }, () => bitOf(7)),
  );
  assert.equal(rate.repeating, false, "the window is not complete yet");
  rate.observe(bitOf(7));
  assert.equal(rate.repeating, true, "99 of 100 were repeats");
});

test("the threshold is the share of repeats in a window", () => {
  const atThreshold = new RepeatRate({ window: 100, bitsLog2: 16, threshold: 0.25 });
  // 75 distinct, then 25 of them again.
  feed(atThreshold, range(0, 75));
  feed(atThreshold, range(0, 25));
  assert.equal(atThreshold.repeating, true);

  const below = new RepeatRate({ window: 100, bitsLog2: 16, threshold: 0.25 });
  feed(below, range(0, 76));
  feed(below, range(0, 24));
  assert.equal(below.repeating, false);
});

test("each window is judged on its own: repeats across windows do not count", () => {
  const rate = new RepeatRate({ window: 100, bitsLog2: 16 });
  // Round robin over 10 addresses: 90 repeats per window.
  for (let i = 0; i < 100; i++) rate.observe(bitOf(i % 10));
  assert.equal(rate.repeating, true);
  // The same 100 addresses twice, each once per window: no repeat within either window.
  feed(rate, range(0, 100));
  assert.equal(rate.repeating, false);
  feed(rate, range(0, 100));
  assert.equal(rate.repeating, false);
  for (let i = 0; i < 100; i++) rate.observe(bitOf(i % 50));
  assert.equal(rate.repeating, true, "50 repeats of 100");
});

test("with the defaults, distinct ids do not repeat and a round robin over 40,000 does", () => {
  const distinct = new RepeatRate();
  for (let i = 0; i < 5 * 65_536; i++) distinct.observe(hashId(1, `id-${i}`));
  assert.equal(distinct.repeating, false, "hash collisions stay far below the threshold");

  const roundRobin = new RepeatRate();
  for (let i = 0; i < 2 * 65_536; i++) roundRobin.observe(mixHash(i % 40_000));
  assert.equal(roundRobin.repeating, true);
});
