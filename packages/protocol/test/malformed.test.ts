/**
 * Malformed input: garbage and truncated messages must fail with a `protocol-error` whose message
 * names the message type being decoded and whose cause is the decoder's error; no other error
 * type may escape the codec.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  StatefunError,
  decodeFromFunction,
  decodeKafkaProducerRecord,
  decodeKinesisEgressRecord,
  decodeToFunction,
  encodeFromFunction,
  encodeToFunction,
} from "../src/index.js";
import { fromFunction, toFunction } from "./arbitraries.js";
import { readFixtures } from "./fixtures.js";
import { fromHex } from "./hex.js";

const DECODERS: readonly (readonly [string, (bytes: Uint8Array) => unknown])[] = [
  ["ToFunction", decodeToFunction],
  ["FromFunction", decodeFromFunction],
  ["KafkaProducerRecord", decodeKafkaProducerRecord],
  ["KinesisEgressRecord", decodeKinesisEgressRecord],
];

/** Bytes that no protobuf decoder accepts, with the reason. */
const GARBAGE: readonly (readonly [string, string])[] = [
  ["FF", "a tag varint cut short"],
  ["FF FF FF FF FF FF FF FF FF FF FF 01", "a tag varint longer than 10 bytes"],
  ["07", "field number 0"],
  ["0F", "wire type 7"],
  ["0E", "wire type 6"],
  ["0C", "an end-group without start"],
  ["A2 06", "a length-delimited field without length"],
  ["A2 06 05 0A", "a length beyond the end"],
  ["A2 06 FF FF FF FF 0F", "a huge length"],
  ["0D 01 02", "a fixed32 cut short"],
  ["09 01 02 03", "a fixed64 cut short"],
  ["08 80", "a varint cut short"],
];

function isProtocolError(what: string) {
  return (error: unknown): boolean =>
    error instanceof StatefunError &&
    error.code === "protocol-error" &&
    error.message.startsWith(`cannot decode ${what}: `) &&
    error.cause !== undefined &&
    error.retryable;
}

describe("garbage bytes", () => {
  for (const [what, decode] of DECODERS) {
    test(`${what} refuses garbage with a protocol-error naming ${what}`, () => {
      for (const [hex, reason] of GARBAGE) {
        assert.throws(() => decode(fromHex(hex)), isProtocolError(what), `${reason}: ${hex}`);
      }
    });
  }

  test("strings that are not UTF-8 are refused inside nested messages", () => {
    // ToFunction{invocation{target{namespace: C3 28}}}
    assert.throws(
      () => decodeToFunction(fromHex("A2 06 06 0A 04 0A 02 C3 28")),
      isProtocolError("ToFunction"),
    );
    // FromFunction{incomplete_invocation_context{missing_values[{state_name: ED A0 80}]}}
    assert.throws(
      () => decodeFromFunction(fromHex("AA 06 07 0A 05 0A 03 ED A0 80")),
      isProtocolError("FromFunction"),
    );
  });

  test("a nested length beyond its parent is refused", () => {
    // invocation of length 4 holding a target that claims 10 bytes.
    assert.throws(
      () => decodeToFunction(fromHex("A2 06 04 0A 0A 0A 00")),
      isProtocolError("ToFunction"),
    );
  });
});

describe("truncated messages", () => {
  test("every strict prefix of every golden request and response is refused", () => {
    let checked = 0;
    for (const [name, fixture] of readFixtures()) {
      if (fixture.kind !== "ToFunction" && fixture.kind !== "FromFunction") continue;
      const decode = fixture.kind === "ToFunction" ? decodeToFunction : decodeFromFunction;
      for (const hex of [fixture.officialHex, fixture.statefunTsHex ?? ""]) {
        const bytes = fromHex(hex);
        for (let length = 1; length < bytes.length; length++) {
          assert.throws(
            () => decode(bytes.subarray(0, length)),
            isProtocolError(fixture.kind),
            `${name} cut to ${length} of ${bytes.length} bytes`,
          );
          checked++;
        }
      }
    }
    assert.ok(checked > 1000, `expected many prefixes, checked ${checked}`);
  });

  test("random requests and responses cut anywhere are refused", () => {
    const cut = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
    fc.assert(
      fc.property(toFunction, fromFunction, cut, (request, response, at) => {
        const requestBytes = encodeToFunction(request);
        if (requestBytes.length > 0) {
          const length = 1 + Math.floor(at * (requestBytes.length - 1));
          if (length < requestBytes.length) {
            const prefix = requestBytes.subarray(0, length);
            assert.throws(() => decodeToFunction(prefix), isProtocolError("ToFunction"));
          }
        }
        const responseBytes = encodeFromFunction(response);
        if (responseBytes.length > 0) {
          const length = 1 + Math.floor(at * (responseBytes.length - 1));
          if (length < responseBytes.length) {
            const prefix = responseBytes.subarray(0, length);
            assert.throws(() => decodeFromFunction(prefix), isProtocolError("FromFunction"));
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

test("random bytes either decode or fail with a protocol-error, never anything else", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      for (const [what, decode] of DECODERS) {
        try {
          decode(bytes);
        } catch (error) {
          assert.ok(isProtocolError(what)(error), `${what}: ${String(error)}`);
        }
      }
    }),
    { numRuns: 1000 },
  );
});
