// The object-name rules shared by every checkpoint storage: valid and invalid names and
// prefixes, byte ranges, and the UTF-8 byte order of listings.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StatefunError } from "@statefun-ts/protocol";
import {
  checkByteRange,
  checkObjectName,
  checkObjectPrefix,
  compareObjectNames,
} from "../../src/checkpoint/object-name.js";

function problem(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof StatefunError);
    assert.equal(error.code, "invalid-argument");
    return error.message;
  }
  assert.fail("expected an invalid-argument error");
}

describe("checkpoint object names", () => {
  it("accepts names of non-empty segments", () => {
    for (const name of ["a", "checkpoints/chk-00000000000000000001.sfc", "a/b/c", "é/ü", "a..b"]) {
      assert.equal(checkObjectName(name, "loc"), name);
    }
  });

  it("rejects invalid names, saying why and where", () => {
    const cases: [unknown, RegExp][] = [
      ["", /it is empty/],
      ["/a", /empty segment/],
      ["a//b", /empty segment/],
      ["a/..", /segment "\.\." starts with "\."/],
      [".tmp-x", /starts with "\."/],
      ["a\\b", /control character or `\\`/],
      ["a\u0000", /control character/],
      ["x".repeat(201), /segment is longer than 200/],
      [`${"x/".repeat(256)}x`, /longer than 512 UTF-8 bytes/],
      [7, /not a string/],
    ];
    for (const [name, reason] of cases) {
      const message = problem(() => checkObjectName(name, "s3://bucket/prefix"));
      assert.match(message, /^checkpoint storage s3:\/\/bucket\/prefix: invalid object name /);
      assert.match(message, reason);
    }
  });

  it("accepts prefixes of valid names and rejects the others", () => {
    for (const prefix of ["", "c", "checkpoints/", "checkpoints/chk-0"]) {
      assert.equal(checkObjectPrefix(prefix, "loc"), prefix);
    }
    for (const prefix of ["/", "a//", "../", "a/.", 3]) {
      assert.match(
        problem(() => checkObjectPrefix(prefix, "loc")),
        /invalid prefix/,
      );
    }
  });

  it("checks byte ranges", () => {
    assert.deepEqual(checkByteRange({ offset: 0, length: 0 }, "n", "loc"), {
      offset: 0,
      length: 0,
    });
    for (const range of [
      { offset: -1, length: 1 },
      { offset: 0, length: -1 },
      { offset: 0.5, length: 1 },
      { offset: 0, length: Number.NaN },
    ]) {
      assert.match(
        problem(() => checkByteRange(range, "n", "loc")),
        /read n: invalid range/,
      );
    }
  });

  it("orders names by UTF-8 bytes", () => {
    const names = ["b", "a/b", "a", "\uffff", "\u{1f600}", "A", "a-b"];
    assert.deepEqual(names.sort(compareObjectNames), [
      "A",
      "a",
      "a-b",
      "a/b",
      "b",
      "\uffff",
      "\u{1f600}",
    ]);
  });
});
