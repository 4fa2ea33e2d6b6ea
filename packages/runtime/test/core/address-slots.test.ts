/**
 * The slots of a function type's addresses: a slot lives while its address is busy and is dropped
 * when it goes idle (the next message makes a new one); the index of slots stays near the number
 * of busy addresses however many went through it. A slot queues in order, whether it holds one
 * message or many, and takes batches of at most the size asked for.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { InvocationInput } from "@statefun-ts/protocol";
import { TypedValue, addressOf } from "@statefun-ts/protocol";
import type { AddressSlot } from "../../src/core/address-slot.js";
import { FunctionTypeRuntime } from "../../src/core/address-slot.js";
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

function input(n: number): TypedValue {
  return TypedValue.fromBytes("test/n", new Uint8Array([n]));
}

const caller = addressOf("test/sender", "s");

/** Each input as its number, with " from s" when it came from `caller`. */
const described = (inputs: readonly InvocationInput[]): string[] =>
  inputs.map(
    (message) =>
      `${message.argument.bytes[0] as number}${message.caller === undefined ? "" : ` from ${message.caller.id}`}`,
  );

test("an address that goes idle loses its slot, and gets a new one when busy again", () => {
  const fn = functionType();
  const first = fn.openSlot("a", MAX_KEY_GROUPS);
  assert.equal(fn.openSlot("a", MAX_KEY_GROUPS), first, "the same slot while busy");
  assert.deepEqual(first.address, { namespace: "test", name: "t", id: "a", typename: "test/t" });
  assert.equal(first.address, first.address, "made once");
  first.push(undefined, input(1));
  fn.closeSlot(first);
  assert.equal(fn.slotOf("a"), undefined);
  assert.deepEqual(busy(fn), []);
  assert.equal(fn.busySlots, 0);
  const second = fn.openSlot("a", MAX_KEY_GROUPS);
  assert.notEqual(second, first);
  assert.equal(second.queued, 0, "a new slot, with nothing of the old one");
  assert.equal(second.keyGroup, first.keyGroup);
  assert.equal(fn.slotOf("a"), second);
  assert.deepEqual(busy(fn), [second]);
});

test("busy slots stay found while many other addresses come and go", () => {
  const fn = functionType();
  const kept = Array.from({ length: 3000 }, (_, i) => fn.openSlot(`busy-${i}`, MAX_KEY_GROUPS));
  for (let i = 0; i < 50_000; i++) {
    const slot = fn.openSlot(`idle-${i}`, MAX_KEY_GROUPS);
    assert.equal(fn.slotOf(`idle-${i}`), slot);
    fn.closeSlot(slot);
    assert.equal(fn.slotOf(`idle-${i}`), undefined);
  }
  assert.equal(fn.busySlots, kept.length);
  assert.deepEqual(new Set(busy(fn)), new Set(kept));
  kept.forEach((slot, i) => assert.equal(fn.slotOf(`busy-${i}`), slot));
});

test("a slot queues in order, with callers, and takes batches of at most the size asked for", () => {
  const fn = functionType();
  const slot = fn.openSlot("a", MAX_KEY_GROUPS);
  assert.deepEqual(slot.take(10), [], "nothing queued");
  slot.push(caller, input(1));
  assert.equal(slot.queued, 1);
  assert.deepEqual(described(slot.peekAll()), ["1 from s"]);
  assert.deepEqual(described(slot.take(10)), ["1 from s"], "one message, held by the slot itself");
  assert.equal(slot.queued, 0);
  for (let n = 1; n <= 7; n++) slot.push(n % 2 === 0 ? caller : undefined, input(n));
  assert.equal(slot.queued, 7);
  assert.deepEqual(described(slot.peekAll()), [
    "1",
    "2 from s",
    "3",
    "4 from s",
    "5",
    "6 from s",
    "7",
  ]);
  assert.deepEqual(described(slot.take(3)), ["1", "2 from s", "3"]);
  slot.push(caller, input(8));
  assert.deepEqual(described(slot.take(3)), ["4 from s", "5", "6 from s"]);
  assert.equal(slot.queued, 2);
  assert.deepEqual(described(slot.take(3)), ["7", "8 from s"]);
  assert.equal(slot.queued, 0);
  slot.push(undefined, input(9));
  assert.deepEqual(described(slot.take(3)), ["9"]);
  assert.deepEqual(slot.take(3), []);
});
