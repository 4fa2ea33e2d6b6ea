/**
 * Dispatcher invariants 3 and 4: a batch that throws (or produces an invalid effect) changes
 * nothing — no state, no messages, no delayed messages, no egress — and is retried with
 * exponential backoff while other addresses keep running.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { TypedValue, intType, stringType } from "@statefun-ts/protocol";
import { createStatefulFunctions, egressMessageBuilder, messageBuilder } from "@statefun-ts/sdk";
import { at, manualRuntime, memoryEgress, readState } from "./helpers.js";

test("a throwing function leaves state, messages, timers and egress untouched, and is retried with backoff", async () => {
  let failuresLeft = 3;
  const delivered: string[] = [];
  const egress = memoryEgress("test/out");
  const functions = createStatefulFunctions()
    .bind({
      typename: "test/flaky",
      state: { count: intType },
      fn(ctx, message) {
        ctx.storage.count = (ctx.storage.count ?? 0) + 1;
        ctx.send(messageBuilder({ typename: "test/sink", id: "s", value: message.asString() }));
        ctx.sendAfter(5, messageBuilder({ typename: "test/sink", id: "s", value: "later" }));
        ctx.sendEgress(
          egressMessageBuilder({ typename: "test/out", value: "record", valueType: stringType }),
        );
        if (failuresLeft-- > 0) throw new Error("boom");
      },
    })
    .bind({
      typename: "test/sink",
      fn(_ctx, message) {
        delivered.push(message.asString());
      },
    });
  const { runtime, clock } = manualRuntime(functions, {
    egresses: [egress],
    retry: { initialBackoffMs: 100, maxBackoffMs: 1000, multiplier: 2 },
  });
  const flaky = at("test/flaky", "f");
  await runtime.submit(flaky, TypedValue.of(stringType, "hello"));
  await runtime.whenIdle();
  assert.equal(readState(runtime, flaky, "count", intType, clock.now()), undefined);
  assert.deepEqual(delivered, []);
  assert.equal(egress.records.length, 0);
  assert.equal(runtime.load().delayed, 0);
  const [failure] = runtime.failures();
  assert.equal(failure?.attempts, 1);
  assert.equal(failure?.address.id, "f");
  assert.match((failure?.error as Error).message, /test\/flaky threw/);
  assert.equal(((failure?.error as Error).cause as Error).message, "boom");

  // Backoff: 100 ms, then 200 ms, then 400 ms.
  clock.advance(99);
  await runtime.whenIdle();
  assert.equal(runtime.failures()[0]?.attempts, 1, "not retried before the backoff elapsed");
  clock.advance(1);
  await runtime.whenIdle();
  assert.equal(runtime.failures()[0]?.attempts, 2);
  clock.advance(200);
  await runtime.whenIdle();
  assert.equal(runtime.failures()[0]?.attempts, 3);
  clock.advance(400);
  await runtime.whenIdle();
  assert.deepEqual(runtime.failures(), []);
  assert.equal(readState(runtime, flaky, "count", intType, clock.now()), 1, "applied exactly once");
  assert.deepEqual(delivered, ["hello"]);
  assert.equal(egress.records.length, 1);
  clock.advance(5);
  await runtime.whenIdle();
  assert.deepEqual(delivered, ["hello", "later"]);
  await runtime.stop();
});

test("a failing address blocks only itself; its queued messages wait and keep their order", async () => {
  let broken = true;
  const seen: string[] = [];
  const functions = createStatefulFunctions().bind({
    typename: "test/picky",
    fn(ctx, message) {
      if (ctx.self.id === "bad" && broken) throw new Error("not yet");
      seen.push(`${ctx.self.id}:${message.asString()}`);
    },
  });
  const { runtime, clock } = manualRuntime(functions, {
    maxBatchSize: 1,
    retry: { initialBackoffMs: 10, maxBackoffMs: 10 },
  });
  await runtime.submit(at("test/picky", "bad"), TypedValue.of(stringType, "1"));
  await runtime.submit(at("test/picky", "bad"), TypedValue.of(stringType, "2"));
  await runtime.submit(at("test/picky", "good"), TypedValue.of(stringType, "1"));
  await runtime.whenIdle();
  assert.deepEqual(seen, ["good:1"]);
  clock.advance(10);
  await runtime.whenIdle();
  assert.equal(runtime.failures()[0]?.queued, 1, "message 2 waits behind the failing batch");
  broken = false;
  clock.advance(10);
  await runtime.whenIdle();
  assert.deepEqual(seen, ["good:1", "bad:1", "bad:2"]);
  await runtime.stop();
});

test("an async function that rejects is treated like one that throws", async () => {
  let fail = true;
  const functions = createStatefulFunctions().bind({
    typename: "test/async",
    state: { n: intType },
    async fn(ctx) {
      await Promise.resolve();
      ctx.storage.n = (ctx.storage.n ?? 0) + 1;
      if (fail) throw new Error("async boom");
    },
  });
  const { runtime, clock } = manualRuntime(functions, { retry: { initialBackoffMs: 10 } });
  const a = at("test/async", "a");
  await runtime.submit(a, TypedValue.of(intType, 1));
  await runtime.whenIdle();
  assert.equal(readState(runtime, a, "n", intType, clock.now()), undefined);
  assert.equal(runtime.failures().length, 1);
  fail = false;
  clock.advance(10);
  await runtime.whenIdle();
  assert.equal(readState(runtime, a, "n", intType, clock.now()), 1);
  await runtime.stop();
});

test("invalid effects fail the whole batch: unknown target type, unknown egress, refused egress record", async () => {
  const egress = memoryEgress("test/out", (value) =>
    value.as(stringType) === "refuse me" ? "this sink refuses it" : undefined,
  );
  const functions = createStatefulFunctions().bind({
    typename: "test/emitter",
    state: { touched: intType },
    fn(ctx, message) {
      ctx.storage.touched = 1;
      const what = message.asString();
      if (what === "unknown-target") {
        ctx.send(messageBuilder({ typename: "test/nobody", id: "x", value: 1 }));
      } else if (what === "unknown-egress") {
        ctx.sendEgress(
          egressMessageBuilder({ typename: "test/nowhere", value: "v", valueType: stringType }),
        );
      } else {
        ctx.sendEgress(
          egressMessageBuilder({ typename: "test/out", value: "refuse me", valueType: stringType }),
        );
      }
    },
  });
  const { runtime, clock } = manualRuntime(functions, {
    egresses: [egress],
    retry: { initialBackoffMs: 1_000_000, maxBackoffMs: 1_000_000 },
  });
  const cases = [
    ["unknown-target", /message to unknown function type test\/nobody/],
    ["unknown-egress", /record for unknown egress test\/nowhere/],
    ["refused", /record for egress test\/out: this sink refuses it/],
  ] as const;
  for (const [id] of cases)
    await runtime.submit(at("test/emitter", id), TypedValue.of(stringType, id));
  await runtime.whenIdle();
  const failures = runtime.failures();
  assert.equal(failures.length, 3);
  for (const [id, pattern] of cases) {
    const failure = failures.find((f) => f.address.id === id);
    assert.match((failure?.error as Error).message, pattern);
    assert.equal((failure?.error as { code?: string }).code, "invalid-effect");
    assert.equal(
      readState(runtime, at("test/emitter", id), "touched", intType, clock.now()),
      undefined,
    );
  }
  assert.equal(egress.records.length, 0);
  await runtime.stop();
});
