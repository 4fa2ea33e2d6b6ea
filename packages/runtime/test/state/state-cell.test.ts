/**
 * A state cell keeps values of its own: bytes handed over as a view into a larger buffer (a
 * checkpoint section, a database's read buffer that is reused) are copied, `Buffer` views
 * included, so that the buffer can change or be freed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { StateCell } from "../../src/index.js";

test("bytes given as a view into a larger buffer are copied, Buffer views included", () => {
  for (const backing of [new Uint8Array(64), Buffer.alloc(64)]) {
    backing.fill(7);
    const view = backing.subarray(8, 12);
    const cell = new StateCell("v");
    cell.assignBytes("ns/bytes", view, Infinity);
    backing.fill(9);
    assert.deepEqual([...cell.encoded()], [7, 7, 7, 7], backing.constructor.name);
    assert.equal(cell.encoded().buffer.byteLength, 4, "the copy keeps no larger buffer alive");
  }
  // Bytes that are a whole buffer of their own are kept as they are.
  const own = new Uint8Array([1, 2]);
  const cell = new StateCell("v");
  cell.assignBytes("ns/bytes", own, Infinity);
  assert.equal(cell.encoded(), own);
});
