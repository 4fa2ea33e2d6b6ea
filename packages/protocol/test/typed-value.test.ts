/**
 * `TypedValue` (lazy serialization of immutable values, presence, typename checks, equality),
 * typename parsing (the JVM runtime's rule: exactly one `/`, both parts non-empty) and addresses.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  StatefunError,
  TypedValue,
  addressFromParts,
  addressOf,
  doubleType,
  floatType,
  longType,
  formatAddress,
  intType,
  isStatefunError,
  isTypeName,
  parseTypeName,
  sameAddress,
  stringType,
} from "../src/index.js";
import type { Type } from "../src/index.js";
import { fromHex, toHex } from "./hex.js";

/** Wraps a type and counts its calls. */
function counting<T>(type: Type<T>, immutableValues: boolean) {
  const calls = { serialize: 0, deserialize: 0 };
  const counted: Type<T> = {
    typename: type.typename,
    immutableValues,
    serialize(value) {
      calls.serialize++;
      return type.serialize(value);
    },
    deserialize(bytes) {
      calls.deserialize++;
      return type.deserialize(bytes);
    },
  };
  return { type: counted, calls };
}

/** A JSON type with mutable values (immutableValues left out: defaults to false). */
const pointType: Type<{ x: number }> = {
  typename: "example/Point",
  serialize: (value) => new TextEncoder().encode(JSON.stringify(value)),
  deserialize: (bytes) => JSON.parse(new TextDecoder().decode(bytes)) as { x: number },
};

function hasCode(code: string) {
  return (error: unknown): boolean => isStatefunError(error) && error.code === code;
}

describe("TypedValue", () => {
  test("an immutable value is serialized only when its bytes are read, and only once", () => {
    const { type, calls } = counting(intType, true);
    const value = TypedValue.of(type, 7);
    assert.deepEqual(calls, { serialize: 0, deserialize: 0 });
    assert.equal(value.as(type), 7);
    assert.deepEqual(calls, { serialize: 0, deserialize: 0 });
    assert.equal(toHex(value.bytes), "0d07000000");
    assert.equal(value.bytes, value.bytes);
    assert.deepEqual(calls, { serialize: 1, deserialize: 0 });
  });

  test("a mutable value is serialized at once, so later mutation does not leak", () => {
    const { type, calls } = counting(pointType, false);
    const point = { x: 1 };
    const value = TypedValue.of(type, point);
    assert.equal(calls.serialize, 1);
    point.x = 2;
    assert.deepEqual(value.as(type), { x: 1 });
    assert.equal(calls.deserialize, 1);
  });

  test("of refuses null and undefined with invalid-argument", () => {
    assert.throws(
      () => TypedValue.of(intType, null as unknown as number),
      hasCode("invalid-argument"),
    );
    assert.throws(
      () => TypedValue.of(intType, undefined as unknown as number),
      hasCode("invalid-argument"),
    );
  });

  test("fromBytes holds bytes that decode on demand", () => {
    const value = TypedValue.fromBytes("io.statefun.types/int", fromHex("0D 01 00 00 00"));
    assert.equal(value.hasValue, true);
    assert.equal(value.typename, "io.statefun.types/int");
    assert.equal(value.as(intType), 1);
    const zero = TypedValue.fromBytes("io.statefun.types/int", new Uint8Array(0));
    assert.equal(zero.hasValue, true);
    assert.equal(zero.as(intType), 0);
  });

  test("as refuses another typename with type-mismatch naming both typenames", () => {
    const value = TypedValue.of(intType, 1);
    assert.throws(
      () => value.as(stringType),
      (error: unknown) =>
        error instanceof StatefunError &&
        error.code === "type-mismatch" &&
        error.message.includes("io.statefun.types/string") &&
        error.message.includes("io.statefun.types/int"),
    );
    assert.throws(() => TypedValue.absent("example/A").as(stringType), hasCode("type-mismatch"));
  });

  test("absent has no value and empty bytes, and differs from a present empty value", () => {
    const absent = TypedValue.absent("io.statefun.types/int");
    assert.equal(absent.hasValue, false);
    assert.equal(absent.bytes.length, 0);
    assert.equal(absent.as(intType), undefined);
    assert.equal(absent.decodeUnchecked(intType), undefined);
    const zero = TypedValue.of(intType, 0);
    assert.equal(zero.bytes.length, 0);
    assert.equal(absent.equals(zero), false);
    assert.equal(zero.equals(absent), false);
    assert.equal(absent.equals(TypedValue.absent("io.statefun.types/int")), true);
    assert.equal(absent.equals(TypedValue.absent("io.statefun.types/long")), false);
  });

  test("equals compares typename, presence and bytes, whatever the representation", () => {
    const lazy = TypedValue.of(intType, 1);
    const bytes = TypedValue.fromBytes("io.statefun.types/int", fromHex("0D 01 00 00 00"));
    assert.equal(lazy.equals(bytes), true);
    assert.equal(bytes.equals(lazy), true);
    assert.equal(lazy.equals(TypedValue.of(intType, 2)), false);
    assert.equal(lazy.equals(TypedValue.of(intType, 256)), false);
    assert.equal(lazy.equals(TypedValue.fromBytes("example/Other", lazy.bytes)), false);
    assert.equal(lazy.equals(TypedValue.fromBytes(lazy.typename, fromHex("0D 01 00 00"))), false);
    assert.equal(TypedValue.of(stringType, "Bob").equals(TypedValue.of(stringType, "Bob")), true);
  });

  test("decodeUnchecked returns the held value for the same type, without serializing", () => {
    const { type, calls } = counting(intType, true);
    const value = TypedValue.of(type, 42);
    assert.equal(value.decodeUnchecked(type), 42);
    // Another immutable type object of the same typename shares the held value too.
    const other = counting(intType, true);
    assert.equal(value.decodeUnchecked(other.type), 42);
    assert.deepEqual(
      [calls, other.calls],
      [
        { serialize: 0, deserialize: 0 },
        { serialize: 0, deserialize: 0 },
      ],
    );
  });

  test("decodeUnchecked goes through bytes for a mutable type or another typename", () => {
    const { type, calls } = counting(intType, true);
    const value = TypedValue.of(type, 42);
    const mutable = counting(intType, false);
    assert.equal(value.decodeUnchecked(mutable.type), 42);
    assert.deepEqual([calls.serialize, mutable.calls.deserialize], [1, 1]);
    // No typename check: the int bytes are read as whatever the other type makes of them.
    const raw = counting<Uint8Array>(
      { typename: "example/Raw", serialize: (b) => b, deserialize: (b) => b },
      true,
    );
    assert.equal(toHex(value.decodeUnchecked(raw.type) ?? new Uint8Array(0)), "0d2a000000");
    assert.equal(raw.calls.deserialize, 1);
  });
});

describe("parseTypeName", () => {
  test("accepts <namespace>/<name>, including protobuf type URLs", () => {
    assert.deepEqual(parseTypeName("a/b"), { namespace: "a", name: "b", typename: "a/b" });
    assert.deepEqual(parseTypeName("type.googleapis.com/pkg.Msg"), {
      namespace: "type.googleapis.com",
      name: "pkg.Msg",
      typename: "type.googleapis.com/pkg.Msg",
    });
    assert.deepEqual(parseTypeName("io.statefun.types/int").name, "int");
  });

  for (const invalid of ["a/b/c", "/b", "a/", "ab", "", "/", "//", "a//b"]) {
    test(`refuses ${JSON.stringify(invalid)} with invalid-typename`, () => {
      assert.throws(
        () => parseTypeName(invalid),
        (error: unknown) =>
          error instanceof StatefunError &&
          error.code === "invalid-typename" &&
          error.message.includes(JSON.stringify(invalid)),
      );
      assert.equal(isTypeName(invalid), false);
    });
  }

  test("isTypeName agrees with parseTypeName on valid names", () => {
    for (const valid of ["a/b", "type.googleapis.com/pkg.Msg", "example/GreetRequest"]) {
      assert.equal(isTypeName(valid), true);
    }
  });
});

describe("addresses", () => {
  test("addressOf splits the typename and keeps the id as it is", () => {
    const address = addressOf("example/person", "tenant/42/Zoë 🚀");
    assert.deepEqual(address, {
      namespace: "example",
      name: "person",
      id: "tenant/42/Zoë 🚀",
      typename: "example/person",
    });
    assert.equal(formatAddress(address), "example/person/tenant/42/Zoë 🚀");
    assert.deepEqual(addressFromParts("example", "person", "tenant/42/Zoë 🚀"), address);
  });

  test("addressOf refuses an empty id and an invalid typename", () => {
    assert.throws(() => addressOf("example/person", ""), hasCode("invalid-argument"));
    assert.throws(() => addressOf("example", "Bob"), hasCode("invalid-typename"));
    assert.throws(() => addressFromParts("", "person", "Bob"), hasCode("invalid-typename"));
  });

  test("sameAddress compares function type and id", () => {
    const bob = addressOf("example/person", "Bob");
    assert.equal(sameAddress(bob, addressFromParts("example", "person", "Bob")), true);
    assert.equal(sameAddress(bob, addressOf("example/person", "bob")), false);
    assert.equal(sameAddress(bob, addressOf("example/greeter", "Bob")), false);
  });
});

test("values kept without serializing behave as if they went through bytes", () => {
  const float = TypedValue.of(floatType, 0.1);
  assert.equal(float.as(floatType), Math.fround(0.1));
  assert.equal(float.as(floatType), floatType.deserialize(float.bytes));
  assert.ok(
    Object.is(TypedValue.of(doubleType, -0).as(doubleType), 0),
    "-0 reads as +0, as after bytes",
  );
  const refused = (error: unknown) =>
    error instanceof StatefunError && error.code === "invalid-argument";
  assert.throws(() => TypedValue.of(intType, 1.5), refused);
  assert.throws(() => TypedValue.of(intType, 2 ** 31), refused);
  assert.throws(() => TypedValue.of(floatType, 1e39), refused);
  assert.throws(() => TypedValue.of(stringType, "\uD800"), refused);
  assert.throws(() => TypedValue.of(longType, 2n ** 63n), refused);
  assert.equal(TypedValue.of(floatType, Infinity).as(floatType), Infinity);
});

test("fromParts rebuilds a kept value without serializing it again", () => {
  const original = TypedValue.of(intType, 7);
  assert.equal(original.encodedIfKnown, undefined, "not serialized yet");
  const rebuilt = TypedValue.fromParts(
    original.typename,
    original.encodedIfKnown,
    original.decodedValue,
    original.decodedType,
  );
  assert.equal(rebuilt.as(intType), 7);
  assert.deepEqual([...rebuilt.bytes], [0x0d, 7, 0, 0, 0]);
  const fromBytes = TypedValue.fromParts("x/y", new Uint8Array([1, 2]), undefined, undefined);
  assert.deepEqual([...fromBytes.bytes], [1, 2]);
});
