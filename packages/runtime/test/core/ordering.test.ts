/**
 * Dispatcher invariants 1 and 2: one batch in flight per address, and per-address FIFO — under
 * concurrent senders, async functions that resolve out of order, and cyclic messaging.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { TypedValue, intType, stringType } from "@statefun-ts/protocol";
import { createStatefulFunctions, jsonType, messageBuilder } from "@statefun-ts/sdk";
import { at, manualRuntime, readState } from "./helpers.js";

interface Tagged {
  readonly sender: string;
  readonly seq: number;
}
const taggedType = jsonType<Tagged>("test/Tagged");

test("per sender → target FIFO holds with many concurrent senders (invariant 2)", async () => {
  const received: Tagged[] = [];
  const functions = createStatefulFunctions()
    .bind({
      typename: "test/sender",
      fn(ctx, message) {
        const count = message.asInt();
        for (let seq = 0; seq < count; seq++) {
          ctx.send(
            messageBuilder({
              typename: "test/sink",
              id: "only",
              value: { sender: ctx.self.id, seq },
              valueType: taggedType,
            }),
          );
        }
      },
    })
    .bind({
      typename: "test/sink",
      fn(_ctx, message) {
        received.push(message.as(taggedType));
      },
    });
  const { runtime } = manualRuntime(functions);
  const senders = 20;
  const perSender = 50;
  for (let s = 0; s < senders; s++) {
    await runtime.submit(at("test/sender", `s${s}`), TypedValue.of(intType, perSender));
  }
  await runtime.whenIdle();
  assert.equal(received.length, senders * perSender);
  const lastSeq = new Map<string, number>();
  for (const { sender, seq } of received) {
    assert.equal(seq, (lastSeq.get(sender) ?? -1) + 1, `out of order from ${sender}`);
    lastSeq.set(sender, seq);
  }
  await runtime.stop();
});

test("one batch in flight per address, even when async invocations finish out of order (invariant 1)", async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  const order: number[] = [];
  const functions = createStatefulFunctions().bind({
    typename: "test/slow",
    async fn(_ctx, message) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const n = message.asInt();
      // Later messages finish faster if they ran concurrently: this would reorder them.
      for (let i = 0; i < 10 - (n % 10); i++) await Promise.resolve();
      order.push(n);
      inFlight--;
    },
  });
  const { runtime } = manualRuntime(functions, { maxBatchSize: 3 });
  const target = at("test/slow", "x");
  for (let n = 0; n < 100; n++) await runtime.submit(target, TypedValue.of(intType, n));
  await runtime.whenIdle();
  assert.equal(maxInFlight, 1);
  assert.deepEqual(
    order,
    Array.from({ length: 100 }, (_, i) => i),
  );
  await runtime.stop();
});

test("different addresses run concurrently while each stays sequential", async () => {
  const active = new Set<string>();
  let sawConcurrency = false;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const functions = createStatefulFunctions().bind({
    typename: "test/gated",
    async fn(ctx) {
      assert.ok(!active.has(ctx.self.id), "same address ran twice at once");
      active.add(ctx.self.id);
      if (active.size > 1) sawConcurrency = true;
      await gate;
      active.delete(ctx.self.id);
    },
  });
  const { runtime } = manualRuntime(functions);
  for (const id of ["a", "b", "c"]) {
    await runtime.submit(at("test/gated", id), TypedValue.of(intType, 1));
    await runtime.submit(at("test/gated", id), TypedValue.of(intType, 2));
  }
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(sawConcurrency, "addresses did not run concurrently");
  release();
  await runtime.whenIdle();
  await runtime.stop();
});

test("cyclic messaging (ping-pong and a three-function ring) completes without deadlock or stack growth", async () => {
  const rounds = 20_000;
  const functions = createStatefulFunctions()
    .bind({
      typename: "test/ping",
      state: { hits: intType },
      fn(ctx, message) {
        ctx.storage.hits = (ctx.storage.hits ?? 0) + 1;
        const n = message.asInt();
        if (n > 0)
          ctx.send(messageBuilder({ typename: "test/pong", id: ctx.self.id, value: n - 1 }));
      },
    })
    .bind({
      typename: "test/pong",
      state: { hits: intType },
      fn(ctx, message) {
        ctx.storage.hits = (ctx.storage.hits ?? 0) + 1;
        const n = message.asInt();
        if (n > 0)
          ctx.send(messageBuilder({ typename: "test/ping", id: ctx.self.id, value: n - 1 }));
      },
    })
    .bind({
      typename: "test/ring",
      state: { laps: intType },
      fn(ctx, message) {
        const text = message.asString();
        const [node, remaining] = text.split(":").map(Number) as [number, number];
        if (node === 0) ctx.storage.laps = (ctx.storage.laps ?? 0) + 1;
        if (remaining > 0) {
          ctx.send(
            messageBuilder({
              typename: "test/ring",
              id: String((node + 1) % 3),
              value: `${(node + 1) % 3}:${remaining - 1}`,
            }),
          );
        }
      },
    });
  const { runtime, clock } = manualRuntime(functions);
  await runtime.submit(at("test/ping", "p"), TypedValue.of(intType, rounds));
  await runtime.submit(at("test/ring", "0"), TypedValue.of(stringType, `0:${3 * 1000}`));
  await runtime.whenIdle();
  const now = clock.now();
  assert.equal(readState(runtime, at("test/ping", "p"), "hits", intType, now), rounds / 2 + 1);
  assert.equal(readState(runtime, at("test/pong", "p"), "hits", intType, now), rounds / 2);
  assert.equal(readState(runtime, at("test/ring", "0"), "laps", intType, now), 1001);
  await runtime.stop();
});

test("a self-messaging loop runs to completion and leaves no backlog behind", async () => {
  const iterations = 200_000;
  const functions = createStatefulFunctions().bind({
    typename: "test/loop",
    state: { n: intType },
    fn(ctx) {
      const n = (ctx.storage.n ?? 0) + 1;
      ctx.storage.n = n;
      if (n < iterations)
        ctx.send(messageBuilder({ typename: "test/loop", id: ctx.self.id, value: n }));
    },
  });
  const { runtime, clock } = manualRuntime(functions);
  await runtime.submit(at("test/loop", "self"), TypedValue.of(intType, 0));
  await runtime.whenIdle();
  assert.equal(readState(runtime, at("test/loop", "self"), "n", intType, clock.now()), iterations);
  assert.equal(runtime.load().backlog, 0);
  const stats = runtime.functionStats().find((s) => s.typename === "test/loop");
  assert.equal(stats?.in, iterations);
  await runtime.stop();
});
