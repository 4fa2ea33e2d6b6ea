/**
 * Property tests of the built-in types against the official google-protobuf wrapper classes:
 * for arbitrary values our bytes equal the official bytes (NaN aside, see builtin-types.test.ts),
 * each side reads the other's bytes back to the value, and longs over the whole int64 range match
 * an independent little-endian reference (the official class holds int64 as a lossy number).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  StatefunError,
  boolType,
  doubleType,
  floatType,
  intType,
  longType,
  stringType,
} from "../src/index.js";
import type { Type } from "../src/index.js";
import { toHex } from "./hex.js";
import { officialWrapperOf } from "./official-types.js";

const RUNS = { numRuns: 500 };
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** What a value decodes to after a trip through bytes: `-0` is written as nothing, read as `+0`. */
function afterTrip(value: unknown): unknown {
  return Object.is(value, -0) ? 0 : value;
}

function againstOfficial<T>(type: Type<T>, arbitrary: fc.Arbitrary<T>, label: string): void {
  const official = officialWrapperOf(type.typename);
  test(`${type.typename}: ${label}`, () => {
    fc.assert(
      fc.property(arbitrary, (value) => {
        const expected = afterTrip(value);
        const ours = type.serialize(value);
        assert.ok(Object.is(type.deserialize(ours), expected), "ours → ours");
        assert.ok(Object.is(official.decode(ours), official.fromOurs(expected)), "ours → official");
        if (!official.canEncode(value)) return;
        const theirs = official.encode(value);
        assert.ok(Object.is(type.deserialize(theirs), expected), "official → ours");
        if (!Number.isNaN(value)) assert.equal(toHex(ours), toHex(theirs));
      }),
      RUNS,
    );
  });
}

describe("built-in types against google-protobuf", () => {
  againstOfficial(boolType, fc.boolean(), "booleans");
  againstOfficial(intType, fc.integer(), "every int32");
  againstOfficial(floatType, fc.float(), "float32 values incl. NaN, ±0, ±Infinity");
  againstOfficial(floatType, fc.double().map(Math.fround), "doubles rounded with Math.fround");
  againstOfficial(doubleType, fc.double(), "doubles incl. NaN, ±0, ±Infinity, subnormals");
  againstOfficial(longType, fc.maxSafeInteger().map(BigInt), "safe integers as bigints");
  againstOfficial(longType, fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), "the int64 range");
  againstOfficial(stringType, fc.string({ unit: "grapheme" }), "grapheme strings");
  againstOfficial(stringType, fc.string({ unit: "grapheme-composite" }), "composite graphemes");
  againstOfficial(stringType, fc.string({ unit: "binary" }), "any code points");
});

/** `09` + 8 bytes little-endian two's complement, nothing for 0 (reference §2.2). */
function longReference(value: bigint): string {
  if (value === 0n) return "";
  const bytes = new Uint8Array(9);
  bytes[0] = 0x09;
  new DataView(bytes.buffer).setBigInt64(1, value, true);
  return toHex(bytes);
}

test("longs over the whole int64 range are exact and match the reference layout", () => {
  const edges = fc.constantFrom(INT64_MIN, INT64_MAX, -1n, 0n, 1n, 2n ** 32n - 1n, -(2n ** 32n));
  fc.assert(
    fc.property(fc.oneof(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), edges), (value) => {
      const bytes = longType.serialize(value);
      assert.equal(toHex(bytes), longReference(value));
      assert.equal(longType.deserialize(bytes), value);
    }),
    RUNS,
  );
});

test("ints match the reference layout: 0D + 4 bytes little-endian", () => {
  fc.assert(
    fc.property(fc.integer(), (value) => {
      const bytes = new Uint8Array(5);
      bytes[0] = 0x0d;
      new DataView(bytes.buffer).setInt32(1, value, true);
      assert.equal(toHex(intType.serialize(value)), value === 0 ? "" : toHex(bytes));
    }),
    RUNS,
  );
});

test("a string with a lone surrogate is refused, not written as invalid UTF-8", () => {
  const loneSurrogate = fc
    .tuple(fc.string(), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string())
    .map(([before, unit, after]) => before + String.fromCharCode(unit) + after);
  fc.assert(
    fc.property(loneSurrogate, (value) => {
      assert.throws(
        () => stringType.serialize(value),
        (error: unknown) => error instanceof StatefunError && error.code === "invalid-argument",
      );
    }),
    RUNS,
  );
});
