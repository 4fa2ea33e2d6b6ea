/**
 * The golden fixture format of `test/fixtures/*.json` and how a fixture is rendered from a case.
 * One file per fixture: a description, the message kind, the message in canonical form (bytes as
 * `{"utf8": ...}` or `{"hex": ...}`), the bytes the OFFICIAL encoder (google-protobuf, as used by
 * `apache-flink-statefun`) produced, and whether our bytes are identical ("byte-exact") or only
 * equivalent ("semantic": same fields, other field order; then our own bytes are pinned too).
 * Files are written once by `scripts/gen-fixtures.mjs` and never rewritten.
 */
import { readdirSync, readFileSync } from "node:fs";
import {
  decodeFromFunction,
  decodeKafkaProducerRecord,
  decodeKinesisEgressRecord,
  decodeToFunction,
  encodeFromFunction,
  encodeKafkaProducerRecord,
  encodeKinesisEgressRecord,
  encodeToFunction,
} from "../src/index.js";
import type {
  FromFunction,
  KafkaProducerRecord,
  KinesisEgressRecord,
  ToFunction,
} from "../src/index.js";
import {
  canonicalFromFunction,
  canonicalKafkaProducerRecord,
  canonicalKinesisEgressRecord,
  canonicalToFunction,
} from "./canonical.js";
import { fromHex, toHex } from "./hex.js";
import { official } from "./official.js";

/** The directory of the fixture files, seen from the compiled test (`dist/test/`). */
export const FIXTURES_DIR = new URL("../../test/fixtures/", import.meta.url);

/** The message types a fixture can hold. */
export interface MessageKinds {
  ToFunction: ToFunction;
  FromFunction: FromFunction;
  KafkaProducerRecord: KafkaProducerRecord;
  KinesisEgressRecord: KinesisEgressRecord;
}

/** A message type name. */
export type MessageKind = keyof MessageKinds;

/** Our codec and the official one for one message type. Methods, so that codecs widen to `unknown`. */
export interface Codec<M> {
  encode(message: M): Uint8Array;
  decode(bytes: Uint8Array): M;
  canonical(message: M): M;
  officialEncode(message: M): Uint8Array;
  officialDecode(bytes: Uint8Array): M;
}

/** The codecs by message kind. */
export const CODECS: { readonly [K in MessageKind]: Codec<MessageKinds[K]> } = {
  ToFunction: {
    encode: encodeToFunction,
    decode: decodeToFunction,
    canonical: canonicalToFunction,
    officialEncode: official.ToFunction.encode,
    officialDecode: official.ToFunction.decode,
  },
  FromFunction: {
    encode: encodeFromFunction,
    decode: decodeFromFunction,
    canonical: canonicalFromFunction,
    officialEncode: official.FromFunction.encode,
    officialDecode: official.FromFunction.decode,
  },
  KafkaProducerRecord: {
    encode: encodeKafkaProducerRecord,
    decode: decodeKafkaProducerRecord,
    canonical: canonicalKafkaProducerRecord,
    officialEncode: official.KafkaProducerRecord.encode,
    officialDecode: official.KafkaProducerRecord.decode,
  },
  KinesisEgressRecord: {
    encode: encodeKinesisEgressRecord,
    decode: decodeKinesisEgressRecord,
    canonical: canonicalKinesisEgressRecord,
    officialEncode: official.KinesisEgressRecord.encode,
    officialDecode: official.KinesisEgressRecord.decode,
  },
};

/** The codec of a kind, widened for code that handles every kind alike. */
export function codecOf(kind: MessageKind): Codec<unknown> {
  return CODECS[kind];
}

/** A fixture before rendering: a name (the file name without `.json`) and a message. */
export type FixtureCase = {
  [K in MessageKind]: {
    readonly name: string;
    readonly description: string;
    readonly kind: K;
    readonly value: MessageKinds[K];
  };
}[MessageKind];

/** How our bytes relate to the official bytes. */
export type Comparison = "byte-exact" | "semantic";

/** The content of one fixture file. */
export interface FixtureFile {
  readonly description: string;
  readonly kind: MessageKind;
  readonly comparison: Comparison;
  /** The message in canonical form, bytes tagged as `{"utf8": ...}` or `{"hex": ...}`. */
  readonly value: unknown;
  /** What the official encoder wrote. */
  readonly officialHex: string;
  /** What our encoder writes, present only when it differs from {@link officialHex}. */
  readonly statefunTsHex?: string;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Replaces every `Uint8Array` with `{"utf8": text}` when it is printable UTF-8, else `{"hex"}`. */
export function toJson(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    let text: string | undefined;
    try {
      text = strictUtf8.decode(value);
    } catch {
      text = undefined;
    }
    // Printable means: non-empty and free of C0/C1 controls and U+FFFD.
    const printable = text !== undefined && text !== "" && !/[\p{Cc}\uFFFD]/u.test(text);
    return printable ? { utf8: text } : { hex: toHex(value) };
  }
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  return value;
}

/** The inverse of {@link toJson}. */
export function fromJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJson);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    const [only] = entries;
    if (entries.length === 1 && only !== undefined && typeof only[1] === "string") {
      if (only[0] === "utf8") return new TextEncoder().encode(only[1]);
      if (only[0] === "hex") return fromHex(only[1]);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, fromJson(v)]));
  }
  return value;
}

/**
 * Renders a case: encodes it with the official encoder and with ours, and records whether the
 * bytes are identical. Throws when they differ and are not even equivalent, which is a bug.
 */
export function renderFixture(fixture: FixtureCase): FixtureFile {
  const codec = codecOf(fixture.kind);
  const officialBytes = codec.officialEncode(fixture.value);
  const ourBytes = codec.encode(fixture.value);
  const exact = toHex(officialBytes) === toHex(ourBytes);
  if (!exact) {
    // Equivalent: the official codec reads our bytes back and writes its own bytes again.
    const reencoded = codec.officialEncode(codec.officialDecode(ourBytes));
    if (toHex(reencoded) !== toHex(officialBytes)) {
      throw new Error(`fixture ${fixture.name}: our bytes are not equivalent to the official ones`);
    }
  }
  return {
    description: fixture.description,
    kind: fixture.kind,
    comparison: exact ? "byte-exact" : "semantic",
    value: toJson(codec.canonical(fixture.value)),
    officialHex: toHex(officialBytes),
    ...(exact ? {} : { statefunTsHex: toHex(ourBytes) }),
  };
}

/** Renders a fixture file as it is stored: two-space JSON with a final newline. */
export function formatFixture(file: FixtureFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Reads every stored fixture, by name. */
export function readFixtures(): Map<string, FixtureFile> {
  const fixtures = new Map<string, FixtureFile>();
  for (const entry of readdirSync(FIXTURES_DIR).sort()) {
    if (!entry.endsWith(".json")) continue;
    const text = readFileSync(new URL(entry, FIXTURES_DIR), "utf8");
    fixtures.set(entry.slice(0, -".json".length), JSON.parse(text) as FixtureFile);
  }
  return fixtures;
}
