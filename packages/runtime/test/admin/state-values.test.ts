/**
 * Unit tests of how the admin API shows a state value (no socket needed): the edges of each
 * encoding rule — non-finite floats, 64-bit longs, built-in values that do not decode, UTF-8 that
 * is JSON but not an object, array or string, invalid UTF-8 — and the size limit's boundary.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  TypedValue,
  doubleType,
  floatType,
  intType,
  longType,
  stringType,
} from "@statefun-ts/protocol";
import { renderValue, stateValueView } from "../../src/admin/state-values.js";

const bytes = (typename: string, data: Uint8Array | string) =>
  TypedValue.fromBytes(typename, typeof data === "string" ? new TextEncoder().encode(data) : data);

describe("renderValue", () => {
  it("decodes built-in values, longs as decimal strings and non-finite numbers as names", () => {
    const cases: [TypedValue, unknown][] = [
      [TypedValue.of(longType, -(2n ** 63n)), "-9223372036854775808"],
      [TypedValue.of(longType, 0n), "0"],
      [TypedValue.of(doubleType, Number.POSITIVE_INFINITY), "Infinity"],
      [TypedValue.of(floatType, Number.NEGATIVE_INFINITY), "-Infinity"],
      [TypedValue.of(intType, 0), 0],
      [TypedValue.of(stringType, ""), ""],
      // From bytes, as a restored or remote value arrives.
      [TypedValue.fromBytes(intType.typename, intType.serialize(-7)), -7],
    ];
    for (const [value, shown] of cases) {
      assert.deepEqual(renderValue(value), { encoding: "builtin", value: shown });
    }
  });

  it("shows a built-in value that does not decode as base64", () => {
    const corrupt = bytes(intType.typename, new Uint8Array([0x08]));
    assert.deepEqual(renderValue(corrupt), { encoding: "base64", value: "CA==" });
  });

  it("takes UTF-8 for JSON only when it parses to an object, an array or a string", () => {
    const cases: [string, string, unknown][] = [
      ['{"a":[1,{"b":null}]}', "json", { a: [1, { b: null }] }],
      ["[]", "json", []],
      [' "spaced" ', "json", "spaced"],
      ["\uFEFF{}", "base64", "77u/e30="],
      ["null", "base64", "bnVsbA=="],
      ["true", "base64", "dHJ1ZQ=="],
      ["3.5", "base64", "My41"],
      ["not json", "base64", "bm90IGpzb24="],
      ["", "base64", ""],
    ];
    for (const [text, encoding, value] of cases) {
      assert.deepEqual(renderValue(bytes("any/Type", text)), { encoding, value }, text);
    }
    const invalidUtf8 = bytes("any/Type", new Uint8Array([0x22, 0xff, 0x22]));
    assert.deepEqual(renderValue(invalidUtf8), { encoding: "base64", value: "Iv8i" });
  });

  it("shows values up to the limit in full, and larger ones by their size", () => {
    const at = bytes("any/Type", new Uint8Array(16).fill(1));
    assert.equal(renderValue(at, 16).encoding, "base64");
    const over = bytes("any/Type", new Uint8Array(17).fill(1));
    assert.deepEqual(renderValue(over, 16), {
      encoding: "truncated",
      value: { truncated: true, bytes: 17 },
    });
    const big = TypedValue.of(stringType, "x".repeat(20));
    assert.deepEqual(renderValue(big, 16).value, { truncated: true, bytes: 22 });
  });

  it("shows expiration as ISO-8601, or null for a value that never expires", () => {
    const value = TypedValue.of(intType, 1);
    assert.deepEqual(stateValueView({ name: "n", value, expiresAtMs: 1_700_000_000_000 }), {
      name: "n",
      typename: intType.typename,
      expiresAt: "2023-11-14T22:13:20.000Z",
      encoding: "builtin",
      value: 1,
    });
    const never = stateValueView({ name: "n", value, expiresAtMs: Number.POSITIVE_INFINITY });
    assert.equal(never.expiresAt, null);
  });
});
