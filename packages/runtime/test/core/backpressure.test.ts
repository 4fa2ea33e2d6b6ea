/**
 * Dispatcher invariant 5: ingress waits when the global backlog or the target's backlog is full,
 * or when many addresses wait and ingress does not repeat them, and resumes as the backlog drains;
 * messages between functions are never held back.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { StatefunError, TypedValue, intType } from "@statefun-ts/protocol";
import { createStatefulFunctions, messageBuilder } from "@statefun-ts/sdk";
import { at, manualRuntime, readState, waitFor } from "./helpers.js";

test("ingress waits while the global backlog is full, and no message is lost", async () => {
  let release!: () => void;
  let gate = new Promise<void>((resolve) => (release = resolve));
  const functions = createStatefulFunctions().bind({
    typename: "test/blocked",
    state: { n: intType },
    async fn(ctx) {
      await gate;
      ctx.storage.n = (ctx.storage.n ?? 0) + 1;
    },
  });
  const { runtime, clock } = manualRuntime(functions, { maxBacklog: 10, maxBatchSize: 1 });
  const settled: boolean[] = [];
  const submissions = Array.from({ length: 30 }, (_, i) => {
    const index = i;
    return runtime.submit(at("test/blocked", String(i % 3)), TypedValue.of(intType, i)).then(() => {
      settled[index] = true;
    });
  });
  await waitFor(() => runtime.load().inflight === 3, 5000, "three batches in flight");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(runtime.load().backlog, 10, "the backlog stops at its bound");
  assert.equal(settled.filter(Boolean).length, 13, "3 in flight + 10 queued were accepted");
  release();
  gate = Promise.resolve();
  await Promise.all(submissions);
  await runtime.whenIdle();
  let total = 0;
  for (let id = 0; id < 3; id++)
    total += readState(runtime, at("test/blocked", String(id)), "n", intType, clock.now()) ?? 0;
  assert.equal(total, 30);
  await runtime.stop();
});

test("ingress to one full address waits while other addresses keep flowing", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const seen: string[] = [];
  const functions = createStatefulFunctions().bind({
    typename: "test/per-address",
    async fn(ctx) {
      if (ctx.self.id === "hot") await gate;
      seen.push(ctx.self.id);
    },
  });
  const { runtime } = manualRuntime(functions, { maxBacklogPerAddress: 2, maxBatchSize: 1 });
  const hot = Array.from({ length: 5 }, () =>
    runtime.submit(at("test/per-address", "hot"), TypedValue.of(intType, 1)),
  );
  let hotAccepted = 0;
  for (const p of hot) void p.then(() => hotAccepted++);
  await waitFor(() => runtime.load().inflight === 1, 5000, "the hot address in flight");
  await runtime.submit(at("test/per-address", "cold"), TypedValue.of(intType, 1));
  await waitFor(() => seen.includes("cold"), 5000, "the cold address to run");
  assert.ok(
    hotAccepted <= 3,
    `at most 1 in flight + 2 queued for the hot address, found ${hotAccepted}`,
  );
  release();
  await Promise.all(hot);
  await runtime.whenIdle();
  assert.equal(seen.filter((id) => id === "hot").length, 5);
  await runtime.stop();
});

/** A runtime of one counting function type, with 8 queued addresses at most while none repeats. */
function countingRuntime(typename: string): ReturnType<typeof manualRuntime> {
  const functions = createStatefulFunctions().bind({
    typename,
    state: { n: intType },
    fn(ctx) {
      ctx.storage.n = (ctx.storage.n ?? 0) + 1;
    },
  });
  return manualRuntime(functions, { maxQueuedAddresses: 8, maxBacklog: 1000 });
}

test("ingress to yet another address waits once enough addresses wait and none repeats", async () => {
  const { runtime, clock } = countingRuntime("test/distinct");
  const one = TypedValue.of(intType, 1);
  const to = (id: string) => at("test/distinct", id);
  const accepted = Array.from({ length: 8 }, (_, i) => runtime.offer(to(`a${i}`), one));
  assert.deepEqual(accepted, Array<boolean>(8).fill(true));
  assert.equal(runtime.offer(to("a8"), one), false, "a ninth address waits");
  assert.equal(runtime.offer(to("a3"), one), true, "a waiting address takes more messages");
  assert.equal(runtime.offer(to("a3"), one), true);
  assert.deepEqual(
    { backlog: runtime.load().backlog, queuedAddresses: runtime.load().queuedAddresses },
    { backlog: 10, queuedAddresses: 8 },
  );
  // A submission waits too, and goes in once the queue drains.
  let submitted = false;
  const waiting = runtime.submit(to("a8"), one).then(() => (submitted = true));
  assert.equal(submitted, false);
  await waiting;
  await runtime.whenIdle();
  const counts = Array.from(
    { length: 9 },
    (_, i) => readState(runtime, to(`a${i}`), "n", intType, clock.now()) ?? 0,
  );
  assert.deepEqual(counts, [1, 1, 1, 3, 1, 1, 1, 1, 1]);
  await runtime.stop();
});

test("ingress that repeats its addresses queues up to the backlog bound, to batch them", async () => {
  const { runtime, clock } = countingRuntime("test/repeated");
  const one = TypedValue.of(intType, 1);
  const ids = 32;
  const to = (i: number) => at("test/repeated", `r${i % ids}`);
  // A round robin over 32 addresses: only 8 wait at a time until a window of messages
  // (65,536) shows that the stream repeats.
  let sent = 0;
  let mostQueued = 0;
  while (sent < 65_536) {
    while (sent < 65_536 && runtime.offer(to(sent), one)) {
      sent++;
      mostQueued = Math.max(mostQueued, runtime.load().queuedAddresses);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(mostQueued, 8, "a stream not yet shown to repeat keeps 8 addresses waiting");
  await runtime.whenIdle();
  // Now every address queues; each runs its messages as one batch.
  for (let i = 0; i < 10 * ids; i++) assert.equal(runtime.offer(to(i), one), true);
  assert.equal(runtime.load().queuedAddresses, ids);
  const before = runtime.functionStats()[0]?.invocations ?? 0;
  await runtime.whenIdle();
  const stats = runtime.functionStats()[0];
  assert.equal((stats?.invocations ?? 0) - before, ids, "one batch per address");
  assert.equal(stats?.in, 65_536 + 10 * ids);
  assert.equal(readState(runtime, to(0), "n", intType, clock.now()), Math.ceil(65_536 / ids) + 10);
  await runtime.stop();
});

test("function-to-function messages are not held back by a full backlog (no deadlock)", async () => {
  const functions = createStatefulFunctions().bind({
    typename: "test/fanout",
    state: { received: intType },
    fn(ctx, message) {
      const n = message.asInt();
      ctx.storage.received = (ctx.storage.received ?? 0) + 1;
      if (n > 0) {
        for (let i = 0; i < 4; i++) {
          ctx.send(
            messageBuilder({ typename: "test/fanout", id: `${ctx.self.id}.${i}`, value: n - 1 }),
          );
        }
      }
    },
  });
  const { runtime, clock } = manualRuntime(functions, { maxBacklog: 5 });
  await runtime.submit(at("test/fanout", "root"), TypedValue.of(intType, 6));
  await runtime.whenIdle();
  assert.equal(
    readState(runtime, at("test/fanout", "root.3.3.3.3.3.3"), "received", intType, clock.now()),
    1,
  );
  const stats = runtime.functionStats()[0];
  assert.equal(stats?.in, (4 ** 7 - 1) / 3);
  await runtime.stop();
});

test("submissions are refused with `shutdown` after stop, and waiting ones are rejected", async () => {
  const functions = createStatefulFunctions().bind({
    typename: "test/never",
    fn: () => new Promise<void>(() => {}),
  });
  const { runtime } = manualRuntime(functions, { maxBacklog: 1, shutdownTimeoutMs: 0 });
  await runtime.submit(at("test/never", "a"), TypedValue.of(intType, 1));
  await waitFor(() => runtime.load().inflight === 1);
  await runtime.submit(at("test/never", "a"), TypedValue.of(intType, 2));
  const waiting = runtime.submit(at("test/never", "a"), TypedValue.of(intType, 3));
  await runtime.start();
  await runtime.stop();
  await assert.rejects(
    waiting,
    (error: unknown) => error instanceof StatefunError && error.code === "shutdown",
  );
  await assert.rejects(
    runtime.submit(at("test/never", "b"), TypedValue.of(intType, 1)),
    (error: unknown) => error instanceof StatefunError && error.code === "shutdown",
  );
});

test("submitting to an unknown function type is refused", async () => {
  const { runtime } = manualRuntime(createStatefulFunctions());
  await assert.rejects(
    runtime.submit(at("test/ghost", "a"), TypedValue.of(intType, 1)),
    (error: unknown) => error instanceof StatefunError && error.code === "unknown-function-type",
  );
  await runtime.stop();
});
