/**
 * Dispatcher invariant 6: work runs in bounded slices, one per event-loop turn, so timers and I/O
 * are never starved — also under functions that message themselves forever.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { TypedValue, addressOf, intType } from "@statefun-ts/protocol";
import { createStatefulFunctions, messageBuilder } from "@statefun-ts/sdk";
import { createRuntime } from "../../src/index.js";

test("self-messaging loops leave every event-loop turn a bounded slice of work", async () => {
  const batchesPerSlice = 8;
  let running = true;
  let invocations = 0;
  const functions = createStatefulFunctions().bind({
    typename: "test/loop",
    fn(ctx) {
      invocations++;
      if (running) ctx.send(messageBuilder({ typename: "test/loop", id: ctx.self.id, value: 0 }));
    },
  });
  const runtime = createRuntime({ functions: [functions], batchesPerSlice });
  for (let i = 0; i < 4; i++) {
    await runtime.submit(addressOf("test/loop", `loop-${i}`), TypedValue.of(intType, 0));
  }
  // An immediate chain outside the runtime runs once per event-loop turn: count the invocations
  // between two of its steps.
  const perTurn: number[] = [];
  await new Promise<void>((resolve) => {
    let before = invocations;
    const step = (): void => {
      perTurn.push(invocations - before);
      before = invocations;
      if (perTurn.length < 200) setImmediate(step);
      else resolve();
    };
    setImmediate(step);
  });
  running = false;
  await runtime.whenIdle();
  // One slice per turn (a batch per loop here, so at most `batchesPerSlice` invocations); were
  // drains scheduled twice per slice, their number would double every turn.
  const most = Math.max(...perTurn);
  assert.ok(most <= batchesPerSlice, `up to ${most} invocations in one turn: ${perTurn.join(",")}`);
  assert.ok(
    perTurn.filter((n) => n > 0).length > 150,
    `the loops kept running: ${perTurn.join(",")}`,
  );
  await runtime.stop();
});
