/**
 * The slots of a function type's addresses: a slot lives while its address is busy; once idle its
 * map entry stays vacant for the address's next slot, and vacant entries are dropped together
 * once they outnumber the slots, so the map holds about twice the busy addresses at most.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AddressSlot } from "../../src/core/address-slot.js";
import { FunctionTypeRuntime, VACANT_ENTRIES_KEPT } from "../../src/core/address-slot.js";
import type { FunctionInvoker } from "../../src/core/function-invoker.js";
import type { StateTable } from "../../src/state/backend.js";

const MAX_KEY_GROUPS = 128;

function functionType(): FunctionTypeRuntime {
  const invoker = { kind: "embedded", declaredSpecs: [] } as unknown as FunctionInvoker;
  return new FunctionTypeRuntime("test/t", invoker, {} as StateTable);
}

function busy(fn: FunctionTypeRuntime): AddressSlot[] {
  const slots: AddressSlot[] = [];
  fn.forEachSlot((slot) => slots.push(slot));
  return slots;
}

test("an address that goes idle leaves a vacant entry, and gets a new slot when busy again", () => {
  const fn = functionType();
  const first = fn.openSlot("a", MAX_KEY_GROUPS);
  assert.equal(fn.openSlot("a", MAX_KEY_GROUPS), first, "the same slot while busy");
  first.push({ caller: undefined, argument: undefined as never });
  fn.closeSlot("a");
  assert.equal(fn.slotOf("a"), undefined);
  assert.deepEqual(busy(fn), []);
  assert.equal(fn.slotEntries, 1, "the entry stays, vacant");
  const second = fn.openSlot("a", MAX_KEY_GROUPS);
  assert.notEqual(second, first);
  assert.equal(second.queued, 0, "a new slot, with nothing of the old one");
  assert.equal(fn.slotOf("a"), second);
  assert.deepEqual(busy(fn), [second]);
  assert.equal(fn.slotEntries, 1);
});

test("vacant entries are dropped once they outnumber the slots; busy slots stay", () => {
  for (const busyCount of [10, 3 * VACANT_ENTRIES_KEPT]) {
    const fn = functionType();
    const kept = Array.from({ length: busyCount }, (_, i) => fn.openSlot(`busy-${i}`, 1));
    let most = 0;
    for (let i = 0; i < 20 * VACANT_ENTRIES_KEPT; i++) {
      fn.openSlot(`idle-${i}`, MAX_KEY_GROUPS);
      fn.closeSlot(`idle-${i}`);
      most = Math.max(most, fn.slotEntries);
    }
    const bound = busyCount + Math.max(VACANT_ENTRIES_KEPT, busyCount) + 1;
    assert.ok(most <= bound, `${most} entries for ${busyCount} busy addresses (bound ${bound})`);
    assert.ok(fn.slotEntries < most, "vacant entries were dropped");
    assert.deepEqual(busy(fn), kept);
    kept.forEach((slot, i) => assert.equal(fn.slotOf(`busy-${i}`), slot));
  }
});
