// Durations (reference §3.2): Flink TimeUtils syntax, converted to milliseconds.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StatefunError } from "@statefun-ts/protocol";
import { parseDuration } from "../../src/config/module/duration.js";
import { parseModuleText } from "../../src/config/module/loader.js";
import { assertProblem, configError, endpointV2 } from "./helpers.js";

describe("parseDuration", () => {
  it("parses every example of the reference", () => {
    assert.equal(parseDuration("2m"), 120_000);
    assert.equal(parseDuration("1 min"), 60_000);
    assert.equal(parseDuration("10sec"), 10_000);
    assert.equal(parseDuration("1minutes"), 60_000);
    assert.equal(parseDuration("10second"), 10_000);
    assert.equal(parseDuration("100ms"), 100);
    assert.equal(parseDuration("15min"), 900_000);
  });

  it("reads numbers and unit-less text as milliseconds", () => {
    assert.equal(parseDuration(500), 500);
    assert.equal(parseDuration("500"), 500);
    assert.equal(parseDuration(0), 0);
  });

  it("accepts every unit label, case-insensitively, with spaces around", () => {
    const cases: [string, number][] = [
      ["1d", 86_400_000],
      ["2 days", 172_800_000],
      ["1 DAY", 86_400_000],
      ["3h", 10_800_000],
      ["1 hour", 3_600_000],
      ["2 Hours", 7_200_000],
      ["1 minute", 60_000],
      ["5s", 5_000],
      ["5 secs", 5_000],
      ["1 seconds", 1_000],
      ["7 milli", 7],
      ["7 millis", 7],
      ["7 millisecond", 7],
      ["7 MILLISECONDS", 7],
      [" 10 s ", 10_000],
      ["2000µs", 2],
      ["2000 micros", 2],
      ["3000 microsecond", 3],
      ["4000000 ns", 4],
      ["4000000 nanos", 4],
      ["5000000 nanoseconds", 5],
    ];
    for (const [text, millis] of cases) assert.equal(parseDuration(text), millis, text);
  });

  it("rounds sub-millisecond durations up, so that only zero stays zero", () => {
    assert.equal(parseDuration("1ns"), 1);
    assert.equal(parseDuration("1500µs"), 2);
    assert.equal(parseDuration("999 micro"), 1);
    assert.equal(parseDuration("0ns"), 0);
  });

  it("rejects decimals, signs, unknown units and other values, describing the syntax", () => {
    for (const text of ["1.5s", "-1s", "+1s", "1 fortnight", "1mins", "1e3", "", "s", "1 2s"]) {
      assert.throws(
        () => parseDuration(text),
        (error: unknown) => {
          assert.ok(error instanceof StatefunError);
          assert.equal(error.code, "invalid-config");
          assert.ok(
            error.message.startsWith(
              `expected a duration such as "2 min" or "500ms", found ${JSON.stringify(text)}`,
            ),
            error.message,
          );
          assert.ok(error.message.includes("without a unit it is in milliseconds"));
          assert.equal(error.details["found"], text);
          return true;
        },
        text,
      );
    }
    for (const value of [1.5, -1, Number.MAX_SAFE_INTEGER + 2]) {
      assert.throws(() => parseDuration(value), StatefunError, String(value));
    }
  });

  it("rejects durations beyond Number.MAX_SAFE_INTEGER milliseconds", () => {
    assert.throws(() => parseDuration("999999999999999 d"), StatefunError);
    assert.equal(parseDuration(`${Number.MAX_SAFE_INTEGER}`), Number.MAX_SAFE_INTEGER);
  });
});

describe("durations in module.yaml", () => {
  function asyncTransport(...lines: string[]) {
    const text = endpointV2("example/*", "transport:", ...lines.map((line) => `  ${line}`));
    const [endpoint] = parseModuleText(text, "module.yaml").endpoints;
    assert.ok(endpoint !== undefined && endpoint.transport.type === "async");
    return endpoint.transport;
  }

  it("reads a bare YAML integer as milliseconds, and text with units", () => {
    const transport = asyncTransport("call: 500", "connect: 1 min", "pool_ttl: 0");
    assert.equal(transport.callTimeoutMs, 500);
    assert.equal(transport.connectTimeoutMs, 60_000);
    assert.equal(transport.poolTtlMs, 0);
  });

  it("reports a bad duration with file, document, kind, path, expected and found", () => {
    const text = ["---", "", "---", endpointV2("example/*", "transport:", "  call: fast")].join(
      "\n",
    );
    const error = configError(() => parseModuleText(text, "module.yaml"));
    assertProblem(error, {
      file: "module.yaml",
      document: 2,
      kind: "io.statefun.endpoints.v2/http",
      path: "spec.transport.call",
      expected: 'a duration such as "2 min" or "500ms"',
      found: '"fast"',
      line: 9,
      column: 11,
    });
    assert.ok(
      error.message.startsWith(
        'module.yaml: document 2 (kind io.statefun.endpoints.v2/http): spec.transport.call: expected a duration such as "2 min" or "500ms", found "fast"',
      ),
      error.message,
    );
    assert.ok(error.message.endsWith("; without a unit it is in milliseconds"), error.message);
  });

  it("rejects a YAML decimal and a zero timeout", () => {
    const error = configError(() =>
      parseModuleText(
        endpointV2("example/*", "transport:", "  call: 1.5", "  connect: 0s"),
        "m.yaml",
      ),
    );
    const where = { file: "m.yaml", document: 1, kind: "io.statefun.endpoints.v2/http" };
    assertProblem(error, {
      ...where,
      path: "spec.transport.call",
      expected: "a duration such as",
      found: "1.5",
    });
    assertProblem(error, {
      ...where,
      path: "spec.transport.connect",
      expected: "a duration larger than 0",
      found: '"0s"',
    });
  });
});
