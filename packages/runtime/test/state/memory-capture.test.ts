/**
 * What a capture keeps of addresses a backend drops from memory (`MemoryCapture.dropped`): the
 * state of captured addresses last marked in the captured epoch, up to the backend's limit; the
 * rest is read from the table when the key group is written.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { TypedValue, stringType } from "@statefun-ts/protocol";
import type { StateRecordSink } from "../../src/checkpoint/model.js";
import type { AddressState, CapturedTable, ChangeTracker } from "../../src/index.js";
import { ChangeTracker as Tracker, StateCell, startCapture } from "../../src/index.js";

function cellOf(text: string): StateCell {
  const cell = new StateCell("v");
  cell.assign(TypedValue.of(stringType, text), Infinity);
  return cell;
}

/** A table whose state is "table" for every id; it counts the reads a capture makes. */
class CountingTable implements CapturedTable {
  readonly typename = "test/t";
  readonly tracker: ChangeTracker = new Tracker(1);
  readonly read: string[] = [];

  cells(id: string): AddressState | undefined {
    this.read.push(id);
    return cellOf("table");
  }

  markChanged(keyGroup: number, id: string): void {
    this.tracker.mark(keyGroup, id);
  }
}

/** What a capture writes for key group 0: id → the text of its value. */
function written(write: (sink: StateRecordSink) => void): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  write({
    addAddress(_type, id, values) {
      const cell = (Array.isArray(values) ? values[0] : values) as StateCell | undefined;
      out.set(
        id,
        cell === undefined
          ? undefined
          : TypedValue.fromBytes(cell.typename, cell.encoded()).as(stringType),
      );
    },
  });
  return out;
}

test("a capture keeps dropped addresses of its epoch, up to the limit, and reads the rest", () => {
  const table = new CountingTable();
  for (const id of ["a", "b", "c", "d"]) table.markChanged(0, id);
  const epoch = table.tracker.epoch;
  const holder = { capture: undefined };
  const capture = startCapture(holder, [table], 1_000);
  // Marked in a later epoch: changed after the cut, so not the cut's state.
  capture.dropped(table, 0, "a", cellOf("later"), table.tracker.epoch, 10);
  capture.dropped(table, 0, "b", cellOf("dropped b"), epoch, 2);
  capture.dropped(table, 0, "c", cellOf("dropped c"), epoch, 2);
  // The limit is reached: read from the table instead.
  capture.dropped(table, 0, "d", cellOf("dropped d"), epoch, 2);
  // Not captured at all.
  capture.dropped(table, 0, "z", cellOf("dropped z"), epoch, 10);

  const records = written((sink) => capture.write(0, sink));
  assert.deepEqual(
    records,
    new Map([
      ["a", "table"],
      ["b", "dropped b"],
      ["c", "dropped c"],
      ["d", "table"],
    ]),
  );
  assert.deepEqual(table.read.sort(), ["a", "d"]);
  capture.release();
});
