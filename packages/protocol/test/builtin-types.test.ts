/**
 * Golden bytes of the built-in types (`io.statefun.types/*`, reference §2.2): each value is the
 * wrapper message with field 1, and the default value encodes as zero bytes. Every row is also
 * checked against the official google-protobuf wrappers of `apache-flink-statefun`.
 *
 * Documented choices:
 * - `-0` (float, double) encodes as zero bytes, like the official encoder (which skips a field
 *   equal to 0, and `-0 === 0`); it therefore decodes as `+0`.
 * - NaN is written as the canonical quiet NaN (`00 00 C0 7F`, `00 .. F8 7F`, as Java and Go
 *   write it). The official JS encoder writes all mantissa bits set (`FF FF FF 7F`); both read
 *   either form as NaN, so NaN rows are semantic, not byte-exact.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  BUILTIN_TYPENAMES,
  BUILTIN_TYPES,
  StatefunError,
  boolType,
  doubleType,
  floatType,
  intType,
  longType,
  stringType,
} from "../src/index.js";
import type { Type } from "../src/index.js";
import { fromHex, toHex } from "./hex.js";
import { officialWrapperOf } from "./official-types.js";

interface Golden {
  readonly type: Type<unknown>;
  readonly value: unknown;
  /** Our bytes (and the official ones unless {@link officialHex} is given). */
  readonly hex: string;
  /** The official JS encoder's bytes when they differ (NaN only). */
  readonly officialHex?: string;
  /** What {@link hex} decodes to when it is not {@link value} itself (`-0` → `+0`). */
  readonly decodesTo?: unknown;
}

const GOLDEN: readonly Golden[] = [
  { type: boolType, value: true, hex: "08 01" },
  { type: boolType, value: false, hex: "" },
  { type: intType, value: 1, hex: "0D 01 00 00 00" },
  { type: intType, value: -1, hex: "0D FF FF FF FF" },
  { type: intType, value: 0, hex: "" },
  { type: intType, value: 256, hex: "0D 00 01 00 00" },
  { type: intType, value: 2147483647, hex: "0D FF FF FF 7F" },
  { type: intType, value: -2147483648, hex: "0D 00 00 00 80" },
  { type: longType, value: 0n, hex: "" },
  { type: longType, value: 1n, hex: "09 01 00 00 00 00 00 00 00" },
  { type: longType, value: -1n, hex: "09 FF FF FF FF FF FF FF FF" },
  { type: longType, value: 2n ** 32n, hex: "09 00 00 00 00 01 00 00 00" },
  { type: longType, value: 2n ** 53n + 1n, hex: "09 01 00 00 00 00 00 20 00" },
  { type: longType, value: 2n ** 63n - 1n, hex: "09 FF FF FF FF FF FF FF 7F" },
  { type: longType, value: -(2n ** 63n), hex: "09 00 00 00 00 00 00 00 80" },
  { type: floatType, value: 1.5, hex: "0D 00 00 C0 3F" },
  { type: floatType, value: -1.5, hex: "0D 00 00 C0 BF" },
  { type: floatType, value: 0, hex: "" },
  { type: floatType, value: -0, hex: "", decodesTo: 0 },
  { type: floatType, value: Math.fround(0.1), hex: "0D CD CC CC 3D" },
  { type: floatType, value: Infinity, hex: "0D 00 00 80 7F" },
  { type: floatType, value: -Infinity, hex: "0D 00 00 80 FF" },
  { type: floatType, value: NaN, hex: "0D 00 00 C0 7F", officialHex: "0D FF FF FF 7F" },
  { type: doubleType, value: 1.5, hex: "09 00 00 00 00 00 00 F8 3F" },
  { type: doubleType, value: 0.1, hex: "09 9A 99 99 99 99 99 B9 3F" },
  { type: doubleType, value: 0, hex: "" },
  { type: doubleType, value: -0, hex: "", decodesTo: 0 },
  { type: doubleType, value: Number.MIN_VALUE, hex: "09 01 00 00 00 00 00 00 00" },
  { type: doubleType, value: Number.MAX_VALUE, hex: "09 FF FF FF FF FF FF EF 7F" },
  { type: doubleType, value: Infinity, hex: "09 00 00 00 00 00 00 F0 7F" },
  { type: doubleType, value: -Infinity, hex: "09 00 00 00 00 00 00 F0 FF" },
  {
    type: doubleType,
    value: NaN,
    hex: "09 00 00 00 00 00 00 F8 7F",
    officialHex: "09 FF FF FF FF FF FF FF 7F",
  },
  { type: stringType, value: "Bob", hex: "0A 03 42 6F 62" },
  { type: stringType, value: "", hex: "" },
  { type: stringType, value: "Zoë", hex: "0A 04 5A 6F C3 AB" },
  { type: stringType, value: "日本", hex: "0A 06 E6 97 A5 E6 9C AC" },
  { type: stringType, value: "🚀", hex: "0A 04 F0 9F 9A 80" },
  { type: stringType, value: "a/b\u0000c", hex: "0A 05 61 2F 62 00 63" },
  { type: stringType, value: "x".repeat(200), hex: `0A C8 01 ${"78".repeat(200)}` },
];

function show(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") return JSON.stringify(value);
  return Object.is(value, -0) ? "-0" : String(value);
}

function short(value: unknown): string {
  const text = show(value);
  return text.length > 24 ? `${text.slice(0, 24)}…` : text;
}

describe("built-in type golden bytes (reference §2.2)", () => {
  for (const row of GOLDEN) {
    const type = row.type;
    const official = officialWrapperOf(type.typename);
    const bytes = fromHex(row.hex);
    const expected = "decodesTo" in row ? row.decodesTo : row.value;

    test(`${type.typename} ${short(row.value)} ↔ ${short(row.hex) || "(empty)"}`, () => {
      assert.equal(toHex(type.serialize(row.value)), toHex(bytes));
      assert.ok(Object.is(type.deserialize(bytes), expected), `decodes to ${show(expected)}`);
      if (official.canEncode(row.value)) {
        assert.equal(toHex(official.encode(row.value)), toHex(fromHex(row.officialHex ?? row.hex)));
      }
      assert.ok(Object.is(official.decode(bytes), official.fromOurs(expected)), "official decode");
      if (row.officialHex !== undefined) {
        assert.ok(Object.is(type.deserialize(fromHex(row.officialHex)), expected));
      }
    });
  }
});

test("zero bytes decode to the default value of every type", () => {
  const empty = new Uint8Array(0);
  assert.equal(boolType.deserialize(empty), false);
  assert.ok(Object.is(intType.deserialize(empty), 0));
  assert.equal(longType.deserialize(empty), 0n);
  assert.ok(Object.is(floatType.deserialize(empty), 0));
  assert.ok(Object.is(doubleType.deserialize(empty), 0));
  assert.equal(stringType.deserialize(empty), "");
});

test("decoding follows protobuf rules: unknown fields are skipped, the last value wins", () => {
  // Field 2 (varint 5) before field 1, then field 1 twice.
  assert.equal(intType.deserialize(fromHex("10 05 0D 01 00 00 00")), 1);
  assert.equal(intType.deserialize(fromHex("0D 01 00 00 00 0D 02 00 00 00")), 2);
  assert.equal(longType.deserialize(fromHex("10 05 09 02 00 00 00 00 00 00 00")), 2n);
  assert.equal(
    longType.deserialize(fromHex("09 01 00 00 00 00 00 00 00 09 03 00 00 00 00 00 00 00")),
    3n,
  );
  assert.equal(stringType.deserialize(fromHex("0A 01 61 0A 01 62")), "b");
  assert.equal(boolType.deserialize(fromHex("08 02")), true);
});

const INVALID: readonly (readonly [Type<unknown>, unknown])[] = [
  [intType, 1.5],
  [intType, 2 ** 31],
  [intType, -(2 ** 31) - 1],
  [intType, NaN],
  [intType, Infinity],
  [intType, "1"],
  [intType, 1n],
  [intType, null],
  [intType, undefined],
  [longType, 1],
  [longType, 2n ** 63n],
  [longType, -(2n ** 63n) - 1n],
  [longType, "1"],
  [longType, null],
  [boolType, 1],
  [boolType, "true"],
  [boolType, null],
  [floatType, "1.5"],
  [floatType, 1n],
  [floatType, null],
  [doubleType, "1"],
  [doubleType, null],
  [stringType, 1],
  [stringType, null],
  [stringType, "\uD800"],
  [stringType, "a\uDC00b"],
  [stringType, "🚀".slice(0, 1)],
];

describe("serializing an invalid value throws invalid-argument", () => {
  for (const [type, value] of INVALID) {
    test(`${type.typename} refuses ${typeof value} ${show(value)}`, () => {
      assert.throws(
        () => type.serialize(value),
        (error: unknown) =>
          error instanceof StatefunError &&
          error.code === "invalid-argument" &&
          error.message.includes(type.typename),
      );
    });
  }
});

const GARBAGE = [
  "FF",
  "0D 01 02",
  "09 01",
  "0A 05 61",
  "08",
  "0F",
  "0C",
  "FF FF FF FF FF FF FF FF FF FF FF 01",
];

describe("deserializing garbage throws protocol-error naming the type", () => {
  for (const type of [boolType, intType, longType, floatType, doubleType, stringType]) {
    test(type.typename, () => {
      for (const hex of GARBAGE) {
        assert.throws(
          () => type.deserialize(fromHex(hex)),
          (error: unknown) =>
            error instanceof StatefunError &&
            error.code === "protocol-error" &&
            error.message.includes(type.typename) &&
            error.cause !== undefined,
          `${type.typename} on ${hex}`,
        );
      }
    });
  }

  test("a string that is not UTF-8", () => {
    assert.throws(() => stringType.deserialize(fromHex("0A 02 C3 28")), { code: "protocol-error" });
    assert.throws(() => stringType.deserialize(fromHex("0A 03 ED A0 80")), {
      code: "protocol-error",
    });
  });
});

test("BUILTIN_TYPES maps each built-in typename to its type", () => {
  assert.deepEqual(
    [...BUILTIN_TYPES.keys()].sort(),
    ["bool", "double", "float", "int", "long", "string"].map((n) => `io.statefun.types/${n}`),
  );
  for (const [typename, type] of BUILTIN_TYPES) {
    assert.equal(type.typename, typename);
    assert.equal(type.immutableValues, true);
  }
  assert.equal(BUILTIN_TYPENAMES.unset, "io.statefun.types/unset");
});
