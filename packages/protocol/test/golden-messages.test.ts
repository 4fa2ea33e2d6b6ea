/**
 * Golden fixtures of whole protocol messages (`test/fixtures/*.json`, written once by
 * `scripts/gen-fixtures.mjs` with the official google-protobuf encoder and kept forever).
 * Our encoder must write the stored bytes and our decoder must read them back to the stored
 * message. Fixtures are "byte-exact" (our bytes are the official bytes) except where the official
 * encoder writes fields out of field-number order: `DelayedInvocation` declares fields 10 and 11
 * before 1, 2 and 3, google-protobuf follows the declaration and protobufjs the numbers. Those
 * fixtures are "semantic": our own bytes are pinned as well, and both codecs must read both byte
 * strings to the same message.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { FromFunction, ToFunction } from "../src/index.js";
import { FIXTURE_CASES } from "./fixture-cases.js";
import { codecOf, fromJson, readFixtures, renderFixture } from "./fixtures.js";
import type { FixtureFile } from "./fixtures.js";
import { fromHex, toHex } from "./hex.js";
import { writesFieldsOutOfOrder } from "./official.js";

const fixtures = readFixtures();

/** Fixtures whose bytes differ from the official ones only in field order (see header). */
const SEMANTIC_FIXTURES = ["from-function-cancellation-token", "from-function-every-effect"];

function storedFixture(name: string): FixtureFile {
  const fixture = fixtures.get(name);
  assert.ok(fixture, `missing fixture test/fixtures/${name}.json`);
  return fixture;
}

test("there is exactly one fixture file per case and no file without a case", () => {
  const caseNames = FIXTURE_CASES.map((c) => c.name);
  assert.equal(new Set(caseNames).size, caseNames.length, "case names are unique");
  assert.deepEqual([...fixtures.keys()].sort(), [...caseNames].sort());
  assert.ok(fixtures.size >= 21, `expected at least 21 fixtures, found ${fixtures.size}`);
});

describe("every golden fixture", () => {
  for (const fixtureCase of FIXTURE_CASES) {
    describe(fixtureCase.name, () => {
      const file = storedFixture(fixtureCase.name);
      const codec = codecOf(file.kind);
      const message = fromJson(file.value);
      const officialBytes = fromHex(file.officialHex);
      const ourHex = file.statefunTsHex ?? file.officialHex;

      test("is well-formed: canonical value, known comparison, our bytes only when semantic", () => {
        assert.equal(file.kind, fixtureCase.kind);
        assert.deepEqual(codec.canonical(message), message);
        assert.ok(file.comparison === "byte-exact" || file.comparison === "semantic");
        assert.equal(file.statefunTsHex !== undefined, file.comparison === "semantic");
        assert.match(file.officialHex, /^([0-9a-f]{2})*$/);
        assert.notEqual(file.description, "");
      });

      test("our encoder writes the stored bytes", () => {
        assert.equal(toHex(codec.encode(message)), ourHex);
      });

      test("our decoder reads the official bytes to the stored message", () => {
        assert.deepEqual(codec.canonical(codec.decode(officialBytes)), message);
      });

      test("the official decoder reads the official bytes to the stored message", () => {
        assert.deepEqual(codec.officialDecode(officialBytes), message);
      });

      if (file.comparison === "semantic") {
        test("both decoders read our bytes to the stored message", () => {
          const ourBytes = fromHex(ourHex);
          assert.deepEqual(codec.canonical(codec.decode(ourBytes)), message);
          assert.deepEqual(codec.officialDecode(ourBytes), message);
        });

        test("our bytes are the official bytes in another field order", () => {
          const ourBytes = fromHex(ourHex);
          assert.equal(ourBytes.length, officialBytes.length);
          assert.deepEqual([...ourBytes].sort(), [...officialBytes].sort());
          assert.equal(
            toHex(codec.officialEncode(codec.officialDecode(ourBytes))),
            file.officialHex,
          );
        });
      }

      test("the case still renders to the stored file with today's encoders", () => {
        assert.deepEqual(renderFixture(fixtureCase), file);
      });
    });
  }
});

test("exactly the responses with a delayed message carrying field 10 or 11 are semantic", () => {
  const semantic = [...fixtures].filter(([, f]) => f.comparison === "semantic").map(([n]) => n);
  assert.deepEqual(semantic.sort(), SEMANTIC_FIXTURES);
  for (const [name, file] of fixtures) {
    const outOfOrder =
      file.kind === "FromFunction" && writesFieldsOutOfOrder(fromJson(file.value) as FromFunction);
    assert.equal(file.comparison === "semantic", outOfOrder, name);
  }
});

test("requests and responses start with the tag of their oneof field (reference §1.1)", () => {
  for (const [name, file] of fixtures) {
    const message = fromJson(file.value);
    if (file.kind === "ToFunction") {
      const request = message as ToFunction;
      const expected = request.invocation ? "a206" : "";
      assert.equal(file.officialHex.slice(0, 4), expected, name);
    } else if (file.kind === "FromFunction") {
      const response = message as FromFunction;
      const expected = response.invocationResult
        ? "a206"
        : response.incompleteInvocationContext
          ? "aa06"
          : "";
      assert.equal(file.officialHex.slice(0, 4), expected, name);
      assert.equal((file.statefunTsHex ?? file.officialHex).slice(0, 4), expected, name);
    }
  }
});

test("the empty messages are zero bytes and zero bytes decode to empty messages", () => {
  assert.equal(storedFixture("to-function-empty").officialHex, "");
  assert.equal(storedFixture("from-function-empty").officialHex, "");
  assert.equal(storedFixture("to-function-empty-batch").officialHex, "a20600");
  assert.equal(storedFixture("from-function-empty-invocation-response").officialHex, "a20600");
  assert.deepEqual(
    codecOf("FromFunction").canonical(codecOf("FromFunction").decode(new Uint8Array(0))),
    {
      invocationResult: null,
      incompleteInvocationContext: null,
    },
  );
});

test("the §1.13 exchange carries int 1 for visits as 0D 01 00 00 00 inside the TypedValue", () => {
  // TypedValue{typename: "io.statefun.types/int", has_value: true, value: 0D 01 00 00 00}
  const typedValue = "0a15" + toHex(new TextEncoder().encode("io.statefun.types/int")) + "1001";
  const withValue = `${typedValue}1a050d01000000`;
  assert.ok(storedFixture("exchange-4-invocation-response").officialHex.includes(withValue));
  assert.ok(
    storedFixture("exchange-5-to-function-with-state-value").officialHex.includes(withValue),
  );
  // Step 3: PersistedValue{state_name: "visits"} without state_value is 0A 06 "visits" only.
  const step3 = storedFixture("exchange-3-to-function-state-without-value").officialHex;
  assert.ok(step3.includes(`1208${"0a06" + toHex(new TextEncoder().encode("visits"))}`));
});

test("int64 fields decode as numbers, not Long objects", () => {
  const codec = codecOf("FromFunction");
  const delays = codec.decode(
    fromHex(storedFixture("from-function-delays-without-token").officialHex),
  ) as FromFunction;
  const decoded = delays.invocationResult?.delayedInvocations.map((d) => d.delayInMs);
  assert.deepEqual(decoded, [0, 1, 2 ** 31, Number.MAX_SAFE_INTEGER, -1]);
  const specs = codec.decode(
    fromHex(storedFixture("from-function-expiration-specs").officialHex),
  ) as FromFunction;
  for (const spec of specs.incompleteInvocationContext?.missingValues ?? []) {
    if (spec.expirationSpec) assert.equal(typeof spec.expirationSpec.expireAfterMillis, "number");
  }
});
