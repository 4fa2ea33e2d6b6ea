/**
 * The StateFun built-in types (`io.statefun.types/*`): each value is the protobuf wrapper message
 * with the value in field 1, and the default value (0, false, "") encodes as zero bytes, exactly as
 * the official SDKs write them.
 */
import protobuf from "protobufjs/minimal.js";
import { io } from "#gen";
import { StatefunError } from "./errors.js";
import type { Type } from "./type.js";

const wrappers = io.statefun.sdk.types;

/** Typenames of the built-in types. */
export const BUILTIN_TYPENAMES = {
  bool: "io.statefun.types/bool",
  int: "io.statefun.types/int",
  long: "io.statefun.types/long",
  float: "io.statefun.types/float",
  double: "io.statefun.types/double",
  string: "io.statefun.types/string",
  /** Registered for state whose spec gave no type (runtime-internal). */
  unset: "io.statefun.types/unset",
} as const;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** In a `u` regex a surrogate range matches only surrogates that are not part of a pair. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function decodeFailure(typename: string, cause: unknown): StatefunError {
  return new StatefunError("protocol-error", `cannot decode a value of type ${typename}`, {
    cause,
  });
}

function decodeWith<T>(typename: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    throw decodeFailure(typename, error);
  }
}

/** `io.statefun.types/bool` as `boolean`. */
export const boolType: Type<boolean> = {
  typename: BUILTIN_TYPENAMES.bool,
  immutableValues: true,
  normalize(value) {
    if (typeof value !== "boolean") throw invalid(BUILTIN_TYPENAMES.bool, "a boolean", value);
    return value;
  },
  serialize(value) {
    this.normalize?.(value);
    return wrappers.BooleanWrapper.encode(value ? { value } : {}).finish();
  },
  deserialize(bytes) {
    return decodeWith(this.typename, () => wrappers.BooleanWrapper.decode(bytes).value);
  },
};

/** `io.statefun.types/int` (32-bit signed) as `number`; non-integers and out-of-range values are refused. */
export const intType: Type<number> = {
  typename: BUILTIN_TYPENAMES.int,
  immutableValues: true,
  normalize(value) {
    if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
      throw invalid(BUILTIN_TYPENAMES.int, "a 32-bit signed integer", value);
    }
    return value === 0 ? 0 : value;
  },
  serialize(value) {
    this.normalize?.(value);
    return wrappers.IntWrapper.encode(value !== 0 ? { value } : {}).finish();
  },
  deserialize(bytes) {
    return decodeWith(this.typename, () => wrappers.IntWrapper.decode(bytes).value);
  },
};

/** `io.statefun.types/long` (64-bit signed) as `bigint`, exact over the whole range. */
export const longType: Type<bigint> = {
  typename: BUILTIN_TYPENAMES.long,
  immutableValues: true,
  normalize(value) {
    if (typeof value !== "bigint" || value < INT64_MIN || value > INT64_MAX) {
      throw invalid(BUILTIN_TYPENAMES.long, "a 64-bit signed bigint", value);
    }
    return value;
  },
  serialize(value) {
    this.normalize?.(value);
    const writer = protobuf.Writer.create();
    if (value !== 0n) {
      writer.uint32(9).sfixed64({
        low: Number(BigInt.asIntN(32, value)),
        high: Number(BigInt.asIntN(32, value >> 32n)),
        unsigned: false,
      });
    }
    return writer.finish();
  },
  deserialize(bytes) {
    return decodeWith(this.typename, () => {
      const reader = protobuf.Reader.create(bytes);
      let result = 0n;
      while (reader.pos < reader.len) {
        const tag = reader.uint32();
        if (tag === 9) {
          const bits = reader.sfixed64() as unknown as { low: number; high: number };
          result = (BigInt(bits.high) << 32n) | BigInt(bits.low >>> 0);
        } else {
          reader.skipType(tag & 7);
        }
      }
      return result;
    });
  },
};

/** `io.statefun.types/float` (IEEE-754 single precision) as `number`. */
export const floatType: Type<number> = {
  typename: BUILTIN_TYPENAMES.float,
  immutableValues: true,
  normalize(value) {
    if (typeof value !== "number") throw invalid(BUILTIN_TYPENAMES.float, "a number", value);
    const single = Math.fround(value);
    if (Number.isFinite(value) && !Number.isFinite(single)) {
      throw invalid(BUILTIN_TYPENAMES.float, "a number within the single-precision range", value);
    }
    // -0 encodes as the default value, so it decodes as +0 (as with the official encoders).
    return single === 0 ? 0 : single;
  },
  serialize(value) {
    this.normalize?.(value);
    return wrappers.FloatWrapper.encode(value !== 0 ? { value } : {}).finish();
  },
  deserialize(bytes) {
    return decodeWith(this.typename, () => wrappers.FloatWrapper.decode(bytes).value);
  },
};

/** `io.statefun.types/double` (IEEE-754 double precision) as `number`. */
export const doubleType: Type<number> = {
  typename: BUILTIN_TYPENAMES.double,
  immutableValues: true,
  normalize(value) {
    if (typeof value !== "number") throw invalid(BUILTIN_TYPENAMES.double, "a number", value);
    return value === 0 ? 0 : value;
  },
  serialize(value) {
    this.normalize?.(value);
    return wrappers.DoubleWrapper.encode(value !== 0 ? { value } : {}).finish();
  },
  deserialize(bytes) {
    return decodeWith(this.typename, () => wrappers.DoubleWrapper.decode(bytes).value);
  },
};

/** `io.statefun.types/string` as `string` (UTF-8 inside a `StringWrapper`). */
export const stringType: Type<string> = {
  typename: BUILTIN_TYPENAMES.string,
  immutableValues: true,
  normalize(value) {
    if (typeof value !== "string") throw invalid(BUILTIN_TYPENAMES.string, "a string", value);
    // A lone surrogate has no UTF-8 form: protobufjs would write bytes that no decoder accepts.
    if (LONE_SURROGATE.test(value)) {
      throw invalid(BUILTIN_TYPENAMES.string, "well-formed UTF-16 (no lone surrogate)", value);
    }
    return value;
  },
  serialize(value) {
    this.normalize?.(value);
    return wrappers.StringWrapper.encode(value !== "" ? { value } : {}).finish();
  },
  deserialize(bytes) {
    return decodeWith(this.typename, () => wrappers.StringWrapper.decode(bytes).value);
  },
};

/** The built-in types by typename. */
export const BUILTIN_TYPES: ReadonlyMap<string, Type<unknown>> = new Map<string, Type<unknown>>([
  [boolType.typename, boolType],
  [intType.typename, intType],
  [longType.typename, longType],
  [floatType.typename, floatType],
  [doubleType.typename, doubleType],
  [stringType.typename, stringType],
]);

function invalid(typename: string, expected: string, found: unknown): StatefunError {
  const shown = typeof found === "bigint" ? `${found}n` : (JSON.stringify(found) ?? String(found));
  return new StatefunError(
    "invalid-argument",
    `a value of type ${typename} must be ${expected}, found ${typeof found} ${shown}`,
  );
}
