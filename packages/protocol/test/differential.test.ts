/**
 * Differential property tests of the message codec against the official encoder: random
 * messages encoded by ours are read by google-protobuf to the same fields and vice versa; the
 * bytes are identical except where google-protobuf writes `DelayedInvocation` fields in
 * declaration order (then re-encoding our bytes with google-protobuf gives its bytes exactly).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { FromFunction, ToFunction } from "../src/index.js";
import {
  fromFunction,
  kafkaProducerRecord,
  kinesisEgressRecord,
  toFunction,
} from "./arbitraries.js";
import { codecOf } from "./fixtures.js";
import type { MessageKind } from "./fixtures.js";
import { toHex } from "./hex.js";
import { writesFieldsOutOfOrder } from "./official.js";

const RUNS = { numRuns: 300 };

function differential<M>(
  kind: MessageKind,
  arbitrary: fc.Arbitrary<M>,
  sameOrder: (message: M) => boolean,
): void {
  const codec = codecOf(kind);
  describe(`${kind}: ours against google-protobuf`, () => {
    test("google-protobuf reads what we write", () => {
      fc.assert(
        fc.property(arbitrary, (message) => {
          const expected = codec.canonical(message);
          assert.deepEqual(codec.officialDecode(codec.encode(message)), expected);
        }),
        RUNS,
      );
    });

    test("we read what google-protobuf writes", () => {
      fc.assert(
        fc.property(arbitrary, (message) => {
          const expected = codec.canonical(message);
          assert.deepEqual(codec.canonical(codec.decode(codec.officialEncode(message))), expected);
        }),
        RUNS,
      );
    });

    test("we read what we write", () => {
      fc.assert(
        fc.property(arbitrary, (message) => {
          const expected = codec.canonical(message);
          assert.deepEqual(codec.canonical(codec.decode(codec.encode(message))), expected);
        }),
        RUNS,
      );
    });

    test("the bytes are identical, or equal after google-protobuf re-encodes ours", () => {
      fc.assert(
        fc.property(arbitrary, (message) => {
          const ours = codec.encode(message);
          const official = toHex(codec.officialEncode(message));
          if (sameOrder(message)) {
            assert.equal(toHex(ours), official);
          } else {
            assert.equal(toHex(codec.officialEncode(codec.officialDecode(ours))), official);
          }
        }),
        RUNS,
      );
    });
  });
}

differential<ToFunction>("ToFunction", toFunction, () => true);
differential<FromFunction>("FromFunction", fromFunction, (m) => !writesFieldsOutOfOrder(m));
differential("KafkaProducerRecord", kafkaProducerRecord, () => true);
differential("KinesisEgressRecord", kinesisEgressRecord, () => true);

test("requests start with A2 06, responses with A2 06 or AA 06 (reference §1.1)", () => {
  fc.assert(
    fc.property(toFunction, fromFunction, (request, response) => {
      const requestHex = toHex(codecOf("ToFunction").encode(request));
      assert.equal(requestHex.slice(0, 4), request.invocation ? "a206" : "");
      const responseHex = toHex(codecOf("FromFunction").encode(response));
      const expected = response.invocationResult
        ? "a206"
        : response.incompleteInvocationContext
          ? "aa06"
          : "";
      assert.equal(responseHex.slice(0, 4), expected);
    }),
    RUNS,
  );
});

test("int64 fields decode as numbers for every value", () => {
  fc.assert(
    fc.property(fromFunction, (response) => {
      const decoded = codecOf("FromFunction").decode(
        codecOf("FromFunction").officialEncode(response),
      ) as FromFunction;
      for (const delayed of decoded.invocationResult?.delayedInvocations ?? []) {
        assert.equal(typeof delayed.delayInMs, "number");
      }
      for (const spec of decoded.incompleteInvocationContext?.missingValues ?? []) {
        if (spec.expirationSpec)
          assert.equal(typeof spec.expirationSpec.expireAfterMillis, "number");
      }
    }),
    RUNS,
  );
});
