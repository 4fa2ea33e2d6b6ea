/**
 * State expiration (reference §1.7) with a manual clock: after-write counts from the last write,
 * after-invoke from the last invocation of the address; expired values read as absent.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { TypedValue, intType, stringType } from "@statefun-ts/protocol";
import { createStatefulFunctions } from "@statefun-ts/sdk";
import { at, manualRuntime } from "./helpers.js";

function observed(): {
  seen: (number | undefined)[];
  functions: ReturnType<typeof createStatefulFunctions>;
} {
  const seen: (number | undefined)[] = [];
  const functions = createStatefulFunctions()
    .bind({
      typename: "test/write-ttl",
      state: { value: { type: intType, expireAfterWriteMs: 1000 } },
      fn(ctx, message) {
        seen.push(ctx.storage.value);
        if (message.asString() === "write") ctx.storage.value = 42;
      },
    })
    .bind({
      typename: "test/invoke-ttl",
      state: { value: { type: intType, expireAfterInvokeMs: 1000 } },
      fn(ctx, message) {
        seen.push(ctx.storage.value);
        if (message.asString() === "write") ctx.storage.value = 7;
      },
    });
  return { seen, functions };
}

const write = TypedValue.of(stringType, "write");
const read = TypedValue.of(stringType, "read");

test("expire after write: reads do not extend the value's life", async () => {
  const { seen, functions } = observed();
  const { runtime, clock } = manualRuntime(functions);
  const a = at("test/write-ttl", "a");
  await runtime.submit(a, write);
  await runtime.whenIdle();
  clock.advance(600);
  await runtime.submit(a, read);
  await runtime.whenIdle();
  clock.advance(399);
  await runtime.submit(a, read);
  await runtime.whenIdle();
  clock.advance(1);
  await runtime.submit(a, read);
  await runtime.whenIdle();
  assert.deepEqual(seen, [undefined, 42, 42, undefined]);
  await runtime.stop();
});

test("expire after write: a new write restarts the period", async () => {
  const { seen, functions } = observed();
  const { runtime, clock } = manualRuntime(functions);
  const a = at("test/write-ttl", "a");
  await runtime.submit(a, write);
  await runtime.whenIdle();
  clock.advance(900);
  await runtime.submit(a, write);
  await runtime.whenIdle();
  clock.advance(900);
  await runtime.submit(a, read);
  await runtime.whenIdle();
  assert.deepEqual(seen, [undefined, 42, 42]);
  await runtime.stop();
});

test("expire after invoke: every invocation extends the value's life", async () => {
  const { seen, functions } = observed();
  const { runtime, clock } = manualRuntime(functions);
  const a = at("test/invoke-ttl", "a");
  await runtime.submit(a, write);
  await runtime.whenIdle();
  for (let i = 0; i < 5; i++) {
    clock.advance(900);
    await runtime.submit(a, read);
    await runtime.whenIdle();
  }
  clock.advance(1000);
  await runtime.submit(a, read);
  await runtime.whenIdle();
  assert.deepEqual(seen, [undefined, 7, 7, 7, 7, 7, undefined]);
  await runtime.stop();
});

test("expiration is per address", async () => {
  const { seen, functions } = observed();
  const { runtime, clock } = manualRuntime(functions);
  await runtime.submit(at("test/invoke-ttl", "a"), write);
  await runtime.submit(at("test/invoke-ttl", "b"), write);
  await runtime.whenIdle();
  clock.advance(900);
  await runtime.submit(at("test/invoke-ttl", "a"), read);
  await runtime.whenIdle();
  clock.advance(900);
  await runtime.submit(at("test/invoke-ttl", "a"), read);
  await runtime.submit(at("test/invoke-ttl", "b"), read);
  await runtime.whenIdle();
  assert.deepEqual(seen, [undefined, undefined, 7, 7, undefined]);
  await runtime.stop();
});
