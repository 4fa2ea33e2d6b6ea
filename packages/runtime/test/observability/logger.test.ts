/**
 * Tests of `errorFields`: message, code and cause chain of errors, and readable text for thrown
 * values that are not errors.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StatefunError } from "@statefun-ts/protocol";
import { errorFields } from "../../src/index.js";

describe("errorFields", () => {
  it("gives message, code and causes of an error", () => {
    const error = new StatefunError("function-failed", "ns/f threw", {
      cause: new Error("boom", { cause: { reason: "disk" } }),
    });
    assert.deepEqual(errorFields(error), {
      error: "ns/f threw",
      errorCode: "function-failed",
      causes: ["boom", '{"reason":"disk"}'],
    });
  });

  it("describes thrown values that are not errors", () => {
    assert.deepEqual(errorFields("plain"), { error: "plain" });
    assert.deepEqual(errorFields({ code: 7 }), { error: '{"code":7}' });
    assert.deepEqual(errorFields(42), { error: "42" });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.deepEqual(errorFields(circular), { error: "[object Object]" });
  });
});
