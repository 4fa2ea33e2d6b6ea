/**
 * The official built-in type wrappers (google-protobuf `io.statefun.sdk.types.*Wrapper`) as an
 * oracle for our built-in types, with the value conversions the official classes need: they hold
 * int64 as a JS number (exact only up to 2^53) and refuse finite floats beyond float32 range.
 */
import { BUILTIN_TYPENAMES } from "../src/index.js";
import { officialTypes } from "./official-classes.js";
import type { OfficialClass, OfficialWrapper } from "./official-classes.js";
import { plainBytes } from "./hex.js";

/** The official wrapper of one built-in type, in terms of our value representation. */
export interface OfficialWrapperCodec {
  /** Whether the official class can encode our value exactly. */
  canEncode(value: unknown): boolean;
  encode(value: unknown): Uint8Array;
  /** The official decoding, in the official value representation. */
  decode(bytes: Uint8Array): unknown;
  /** Our value in the official representation (a bigint becomes the nearest number). */
  fromOurs(value: unknown): unknown;
}

const FLOAT32_MAX = 3.4028234663852886e38;

function codec<V>(
  cls: OfficialClass<OfficialWrapper<V>>,
  canEncode: (value: unknown) => boolean,
  toOfficial: (value: unknown) => V,
  fromOurs: (value: unknown) => unknown = (value) => value,
): OfficialWrapperCodec {
  return {
    canEncode,
    encode(value) {
      const message = new cls();
      message.setValue(toOfficial(value));
      return plainBytes(message.serializeBinary());
    },
    decode: (bytes) => cls.deserializeBinary(bytes).getValue(),
    fromOurs,
  };
}

const CODECS: ReadonlyMap<string, OfficialWrapperCodec> = new Map([
  [
    BUILTIN_TYPENAMES.bool,
    codec(
      officialTypes.BooleanWrapper,
      (v) => typeof v === "boolean",
      (v) => v as boolean,
    ),
  ],
  [
    BUILTIN_TYPENAMES.int,
    codec(
      officialTypes.IntWrapper,
      (v) => Number.isInteger(v) && (v as number) >= -(2 ** 31) && (v as number) < 2 ** 31,
      (v) => v as number,
    ),
  ],
  [
    BUILTIN_TYPENAMES.long,
    codec(
      officialTypes.LongWrapper,
      (v) => typeof v === "bigint" && Number.isSafeInteger(Number(v)),
      (v) => Number(v as bigint),
      (v) => Number(v as bigint),
    ),
  ],
  [
    BUILTIN_TYPENAMES.float,
    codec(
      officialTypes.FloatWrapper,
      (v) => typeof v === "number" && (!Number.isFinite(v) || Math.abs(v) <= FLOAT32_MAX),
      (v) => v as number,
    ),
  ],
  [
    BUILTIN_TYPENAMES.double,
    codec(
      officialTypes.DoubleWrapper,
      (v) => typeof v === "number",
      (v) => v as number,
    ),
  ],
  [
    BUILTIN_TYPENAMES.string,
    codec(
      officialTypes.StringWrapper,
      (v) => typeof v === "string",
      (v) => v as string,
    ),
  ],
]);

/** The official wrapper codec of a built-in typename. */
export function officialWrapperOf(typename: string): OfficialWrapperCodec {
  const found = CODECS.get(typename);
  if (found === undefined) throw new Error(`no official wrapper for ${typename}`);
  return found;
}
