/**
 * Exactly-once recovery, in process: a runtime checkpoints into a real directory, "crashes" (its
 * storage goes dead, as after SIGKILL), and a new runtime recovers from the directory. State,
 * messages in mailboxes, inputs of invocations in flight, delayed messages and their tokens, and
 * egress records not yet released all come back exactly once.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { StatefunError, TypedValue, addressOf, intType, stringType } from "@statefun-ts/protocol";
import {
  createStatefulFunctions,
  egressMessageBuilder,
  messageBuilder,
  playgroundEgressMessage,
} from "@statefun-ts/sdk";
import type { Clock, Egress } from "../../src/index.js";
import { createPlaygroundEgress, systemClock } from "../../src/index.js";
import { SEQUENCE_HEADER } from "../../src/io/playground/egress.js";
import { readState, memoryEgress, waitFor } from "../core/helpers.js";
import { checkpointDirectory, startRuntime } from "./recovery-harness.js";
import { captureLogger } from "../observability/fixture.js";
import type { LogLine } from "../observability/fixture.js";

function counters() {
  return createStatefulFunctions().bind({
    typename: "test/counter",
    state: { count: intType },
    fn(ctx, message) {
      ctx.storage.count = (ctx.storage.count ?? 0) + message.asInt();
    },
  });
}

test("state as of the last completed checkpoint is restored; later changes are rolled back", async () => {
  const directory = await checkpointDirectory();
  const first = await startRuntime(directory, counters());
  const a = addressOf("test/counter", "a");
  await first.runtime.submit(a, TypedValue.of(intType, 5));
  await first.runtime.whenIdle();
  await first.runtime.whenDurable();
  await first.runtime.submit(a, TypedValue.of(intType, 100));
  await first.runtime.whenIdle();
  await first.crash();

  const second = await startRuntime(directory, counters());
  assert.equal(readState(second.runtime, a, "count", intType, Date.now()), 5);
  // The counter's address, and test/counter's entry in the state schema registry.
  assert.equal(second.runtime.restored?.stateRecords, 2);
  await second.runtime.submit(a, TypedValue.of(intType, 1));
  await second.runtime.whenIdle();
  await second.runtime.stop();

  const third = await startRuntime(directory, counters());
  assert.equal(
    readState(third.runtime, a, "count", intType, Date.now()),
    6,
    "a clean stop takes a last checkpoint",
  );
  await third.runtime.stop();
});

test("pending messages, inputs of invocations in flight and delayed messages are restored", async () => {
  const directory = await checkpointDirectory();
  const functions = (seen: string[], blocked: () => boolean) =>
    createStatefulFunctions()
      .bind({
        typename: "test/slow",
        async fn(_ctx, message) {
          while (blocked()) await new Promise((resolve) => setTimeout(resolve, 5));
          seen.push(message.asString());
        },
      })
      .bind({
        typename: "test/timer",
        fn(ctx, message) {
          const text = message.asString();
          if (text === "cancel") ctx.cancelDelayedMessage("t2");
          else {
            ctx.sendAfter(
              50,
              messageBuilder({ typename: "test/slow", id: "delayed", value: "d1" }),
              "t1",
            );
            ctx.sendAfter(
              600_000,
              messageBuilder({ typename: "test/slow", id: "delayed", value: "d2" }),
              "t2",
            );
          }
        },
      });
  const seenBefore: string[] = [];
  let firstBlocked = true;
  const first = await startRuntime(
    directory,
    functions(seenBefore, () => firstBlocked),
  );
  const slow = addressOf("test/slow", "x");
  for (const text of ["m1", "m2", "m3"])
    await first.runtime.submit(slow, TypedValue.of(stringType, text));
  await first.runtime.submit(addressOf("test/timer", "t"), TypedValue.of(stringType, "schedule"));
  await waitFor(() => first.runtime.load().inflight === 1 && first.runtime.load().delayed === 2);
  await first.runtime.whenDurable();
  await first.crash();
  assert.deepEqual(seenBefore, [], "nothing ran before the crash");

  const seen: string[] = [];
  const second = await startRuntime(
    directory,
    functions(seen, () => false),
  );
  assert.equal(second.runtime.restored?.pendingMessages, 3);
  assert.equal(second.runtime.restored?.delayedMessages, 2);
  await second.runtime.submit(addressOf("test/timer", "t"), TypedValue.of(stringType, "cancel"));
  await waitFor(() => seen.length === 4, 5000, "messages and the overdue delayed message");
  await waitFor(() => second.runtime.load().delayed === 0, 5000, "the cancellation of t2");
  await second.runtime.whenIdle();
  assert.deepEqual(
    seen,
    ["m1", "m2", "m3", "d1"],
    "in-flight input first, in order; t2 cancelled after restore",
  );
  await second.runtime.stop();
  firstBlocked = false; // let the crashed runtime's stuck invocation end, so the process can exit
});

/** An egress whose records are part of checkpoints (as the playground egress's queues are). */
function checkpointedEgress(id: string) {
  const egress = memoryEgress(id);
  return Object.assign(egress, {
    captureState() {
      const copy = egress.records.map((record) => record.as(stringType));
      return () => new TextEncoder().encode(JSON.stringify(copy));
    },
    restoreState(bytes: Uint8Array) {
      const texts = JSON.parse(new TextDecoder().decode(bytes)) as string[];
      egress.records.splice(
        0,
        egress.records.length,
        ...texts.map((t) => TypedValue.of(stringType, t)),
      );
    },
  });
}

test("egress records are released after their checkpoint, exactly once with a checkpointed sink", async () => {
  const directory = await checkpointDirectory();
  const functions = createStatefulFunctions().bind({
    typename: "test/emitter",
    fn(ctx, message) {
      ctx.sendEgress(
        egressMessageBuilder({
          typename: "test/out",
          value: message.asString(),
          valueType: stringType,
        }),
      );
    },
  });
  const egress1 = checkpointedEgress("test/out");
  const first = await startRuntime(directory, functions, { egresses: [egress1] });
  const e = addressOf("test/emitter", "e");
  await first.runtime.submit(e, TypedValue.of(stringType, "r1"));
  await first.runtime.whenIdle();
  assert.equal(egress1.records.length, 0, "held until its checkpoint completes");
  await first.runtime.whenDurable();
  assert.deepEqual(
    egress1.records.map((r) => r.as(stringType)),
    ["r1"],
  );
  await first.runtime.submit(e, TypedValue.of(stringType, "r2"));
  await first.runtime.whenIdle();
  await first.crash();
  assert.deepEqual(
    egress1.records.map((r) => r.as(stringType)),
    ["r1"],
    "r2 was never released",
  );

  const egress2 = checkpointedEgress("test/out");
  const second = await startRuntime(directory, functions, { egresses: [egress2] });
  await second.runtime.whenDurable();
  assert.deepEqual(
    egress2.records.map((r) => r.as(stringType)),
    ["r1"],
    "r1 once; r2 rolled back",
  );
  await second.runtime.stop();
});

test("a sink without checkpointed state gets records at least once: released records may come again", async () => {
  const directory = await checkpointDirectory();
  const functions = createStatefulFunctions().bind({
    typename: "test/emitter",
    fn(ctx, message) {
      ctx.sendEgress(
        egressMessageBuilder({
          typename: "test/out",
          value: message.asString(),
          valueType: stringType,
        }),
      );
    },
  });
  const egress1 = memoryEgress("test/out");
  const first = await startRuntime(directory, functions, { egresses: [egress1] });
  await first.runtime.submit(addressOf("test/emitter", "e"), TypedValue.of(stringType, "r1"));
  await first.runtime.whenIdle();
  await first.runtime.whenDurable();
  await first.crash();
  const egress2 = memoryEgress("test/out");
  const second = await startRuntime(directory, functions, { egresses: [egress2] });
  assert.deepEqual(
    egress2.records.map((r) => r.as(stringType)),
    ["r1"],
    "re-sent: its release was not recorded yet",
  );
  await second.runtime.whenDurable();
  await second.crash();
  const egress3 = memoryEgress("test/out");
  const third = await startRuntime(directory, functions, { egresses: [egress3] });
  assert.equal(egress3.records.length, 0, "not again once a later checkpoint recorded the release");
  await third.runtime.stop();
});

test("durable ingress: the acknowledgement comes after a checkpoint; idempotency keys survive a crash", async () => {
  const directory = await checkpointDirectory();
  const first = await startRuntime(directory, counters());
  const ingress = first.runtime.ingressContext("test/ingress");
  const a = addressOf("test/counter", "a");
  const completedBefore = first.runtime.checkpointStats()?.completed ?? 0;
  await ingress.submit(a, TypedValue.of(intType, 1), { idempotencyKey: "k1" });
  assert.ok(
    (first.runtime.checkpointStats()?.completed ?? 0) > completedBefore,
    "acknowledged after a checkpoint",
  );
  await ingress.submit(a, TypedValue.of(intType, 1), { idempotencyKey: "k1" });
  await Promise.all([
    ingress.submit(a, TypedValue.of(intType, 10), { idempotencyKey: "k2" }),
    ingress.submit(a, TypedValue.of(intType, 10), { idempotencyKey: "k2" }),
  ]);
  await first.runtime.whenIdle();
  assert.equal(readState(first.runtime, a, "count", intType, Date.now()), 11);
  await first.crash();

  const second = await startRuntime(directory, counters());
  const again = second.runtime.ingressContext("test/ingress");
  await again.submit(a, TypedValue.of(intType, 1), { idempotencyKey: "k1" });
  await again.submit(a, TypedValue.of(intType, 10), { idempotencyKey: "k2" });
  await again.submit(a, TypedValue.of(intType, 100), { idempotencyKey: "k3" });
  await second.runtime.whenIdle();
  assert.equal(readState(second.runtime, a, "count", intType, Date.now()), 111);
  await second.runtime.stop();
});

/** The function `test/emitter`, which emits each message it gets to a playground egress topic. */
function emitterTo(topic: string) {
  return createStatefulFunctions().bind({
    typename: "test/emitter",
    fn(ctx, message) {
      ctx.sendEgress(playgroundEgressMessage({ topic, payload: message.asString() }));
    },
  });
}

test("the playground egress serves a record read after the last checkpoint again after a crash, with its sequence number", async () => {
  const directory = await checkpointDirectory();
  const functions = emitterTo("out");
  const start = async () => {
    const egress = createPlaygroundEgress({ host: "127.0.0.1", port: 0, topics: ["out"] });
    const started = await startRuntime(directory, functions, { egresses: [egress] });
    const read = async (): Promise<[string | null, string]> => {
      const response = await fetch(`http://127.0.0.1:${egress.address().port}/out`);
      return [response.headers.get(SEQUENCE_HEADER), await response.text()];
    };
    return { ...started, read };
  };
  const e = addressOf("test/emitter", "e");

  const first = await start();
  for (const text of ["r1", "r2"]) await first.runtime.submit(e, TypedValue.of(stringType, text));
  await first.runtime.whenIdle();
  await first.runtime.whenDurable(); // releases r1 and r2 into the topic
  assert.deepEqual(await first.read(), ["1", "r1"]);
  await first.crash(); // before a checkpoint recorded that r1 was read

  const second = await start();
  assert.deepEqual(await second.read(), ["1", "r1"], "served again, with the same number");
  await second.runtime.whenDurable(); // records that r1 was read
  assert.deepEqual(await second.read(), ["2", "r2"]);
  await second.crash();

  const third = await start();
  assert.deepEqual(await third.read(), ["2", "r2"], "r1 not again; r2 again");
  await third.runtime.submit(e, TypedValue.of(stringType, "r3"));
  await third.runtime.whenIdle();
  await third.runtime.whenDurable();
  assert.deepEqual(await third.read(), ["3", "r3"], "numbering goes on");
  assert.deepEqual(await third.read(), [null, ""], "nothing else");
  await third.runtime.stop();
});

/** A runtime with the playground egress (topic `out`) and a function emitting each message to it. */
async function startWithPlayground(
  directory: string,
  egress = createPlaygroundEgress({ host: "127.0.0.1", port: 0, topics: ["out"] }),
  others: readonly Egress[] = [],
) {
  const functions = emitterTo("out");
  const started = await startRuntime(directory, functions, { egresses: [egress, ...others] });
  const read = async (): Promise<[string | null, string]> => {
    const response = await fetch(`http://127.0.0.1:${egress.address().port}/out`);
    return [response.headers.get(SEQUENCE_HEADER), await response.text()];
  };
  const emit = async (payloads: readonly string[]) => {
    const e = addressOf("test/emitter", "e");
    for (const payload of payloads)
      await started.runtime.submit(e, TypedValue.of(stringType, payload));
    await started.runtime.whenIdle();
  };
  return { ...started, read, emit };
}

const payloadOf = (i: number): string => `record ${i} `.padEnd(100, "x");

test("the playground egress keeps its queue in the state: a checkpoint carries what changed, not the whole queue", async () => {
  const directory = await checkpointDirectory();
  const first = await startWithPlayground(directory);
  const payloads = Array.from({ length: 300 }, (_, i) => payloadOf(i + 1));
  await first.emit(payloads);
  await first.runtime.whenDurable(); // releases the records into the queue
  await first.runtime.whenDurable(); // holds them, as changes of the egress's store
  const withRecords = first.runtime.checkpointStats()?.lastBytes ?? 0;
  assert.ok(withRecords > 300 * 100, `the records' checkpoint holds them (${withRecords} bytes)`);
  assert.deepEqual(await first.read(), ["1", payloadOf(1)]);
  await first.runtime.whenDurable();
  const afterOneRead = first.runtime.checkpointStats()?.lastBytes ?? Infinity;
  assert.ok(
    afterOneRead < 2000,
    `299 queued records of 100 bytes are not written again (${afterOneRead} bytes)`,
  );
  await first.crash();

  const second = await startWithPlayground(directory);
  for (let seq = 2; seq <= 300; seq++) {
    assert.deepEqual(await second.read(), [String(seq), payloadOf(seq)]);
  }
  assert.deepEqual(await second.read(), [null, ""], "nothing else");
  await second.emit(["next"]);
  await second.runtime.whenDurable();
  assert.deepEqual(await second.read(), ["301", "next"], "numbering goes on");
  await second.runtime.stop();
});

test("a playground egress queue held in a checkpoint's component state (the earlier form) is restored and moved into the state", async () => {
  const directory = await checkpointDirectory();
  // Given no store, the egress writes its queues into every checkpoint whole.
  const full = createPlaygroundEgress({ host: "127.0.0.1", port: 0, topics: ["out"] });
  assert.ok("useStore" in full);
  const legacy: typeof full = { ...full };
  delete legacy.useStore;
  const first = await startWithPlayground(directory, legacy);
  await first.emit(["r1", "r2", "r3"]);
  await first.runtime.whenDurable();
  assert.deepEqual(await first.read(), ["1", "r1"]);
  await first.runtime.whenDurable();
  await first.crash();

  const second = await startWithPlayground(directory);
  assert.deepEqual(await second.read(), ["2", "r2"]);
  await second.runtime.whenDurable(); // holds r3 in the store, and that r2 was read
  await second.crash();

  const third = await startWithPlayground(directory);
  assert.deepEqual(await third.read(), ["3", "r3"], "kept in the state since");
  assert.deepEqual(await third.read(), [null, ""]);
  await third.emit(["r4"]);
  await third.runtime.whenDurable();
  assert.deepEqual(await third.read(), ["4", "r4"], "numbering goes on");
  await third.runtime.stop();
});

/** A sink whose checkpointed state is `"ok"` or `"bad"`; it refuses to restore `"bad"`. */
function fragileSink() {
  let state = "ok";
  return Object.assign(memoryEgress("test/fragile"), {
    spoil() {
      state = "bad";
    },
    captureState() {
      const captured = state;
      return () => new TextEncoder().encode(captured);
    },
    restoreState(bytes: Uint8Array) {
      if (new TextDecoder().decode(bytes) === "bad") {
        throw new StatefunError("corrupt-data", "the fragile sink refuses its state");
      }
    },
  });
}

test("when recovery falls back to an older checkpoint, the playground egress holds that checkpoint's queue", async () => {
  const directory = await checkpointDirectory();
  const fragile = fragileSink();
  const first = await startWithPlayground(directory, undefined, [fragile]);
  await first.emit(["r1"]);
  await first.runtime.whenDurable(); // releases r1 into the queue
  await first.runtime.whenDurable(); // holds it in the store: the checkpoint recovery ends at
  fragile.spoil();
  await first.emit(["r2"]);
  await first.runtime.whenDurable();
  await first.runtime.whenDurable(); // holds r2 too, but cannot be restored
  await first.crash();

  // The egress restores before the fragile sink refuses, in every checkpoint tried.
  const second = await startWithPlayground(directory, undefined, [fragileSink()]);
  assert.deepEqual(await second.read(), ["1", "r1"]);
  assert.deepEqual(await second.read(), [null, ""], "r2 came after the checkpoint restored");
  await second.runtime.stop();
});

test("what the playground egress reports while it restores goes to the runtime's logger", async () => {
  const directory = await checkpointDirectory();
  const functions = emitterTo("gone");
  const both = createPlaygroundEgress({ host: "127.0.0.1", port: 0, topics: ["out", "gone"] });
  const first = await startRuntime(directory, functions, { egresses: [both] });
  await first.runtime.submit(addressOf("test/emitter", "e"), TypedValue.of(stringType, "r1"));
  await first.runtime.whenIdle();
  await first.runtime.whenDurable(); // releases r1 into the queue of `gone`
  await first.runtime.whenDurable(); // holds it in the store
  await first.crash();

  const lines: LogLine[] = [];
  const second = await startRuntime(directory, functions, {
    egresses: [createPlaygroundEgress({ host: "127.0.0.1", port: 0, topics: ["out"] })],
    logger: captureLogger(lines),
  });
  await second.runtime.stop();
  const dropped = lines.filter((line) => line.message.includes("no longer configured"));
  assert.equal(dropped.length, 1, `one warning, in ${JSON.stringify(lines.map((l) => l.message))}`);
  assert.equal(dropped[0]?.level, "warn");
  assert.equal(dropped[0]?.fields.egress, "io.statefun.playground/egress");
});

test("a long restore reports how many state records it has loaded, every few seconds", async () => {
  const directory = await checkpointDirectory();
  const first = await startRuntime(directory, counters());
  for (let i = 0; i < 3000; i++) {
    first.runtime.offer(addressOf("test/counter", `c-${i}`), TypedValue.of(intType, 1));
  }
  await first.runtime.whenIdle();
  await first.runtime.whenDurable();
  await first.crash();

  // Each reading of this clock is two seconds after the last: a report comes at every other one.
  let nowMs = Date.now();
  const hurried: Clock = {
    now: () => (nowMs += 2000),
    setTimer: (delayMs, callback) => systemClock.setTimer(delayMs, callback),
  };
  const lines: LogLine[] = [];
  const second = await startRuntime(directory, counters(), {
    clock: hurried,
    logger: captureLogger(lines),
  });
  const restored = second.runtime.restored;
  await second.runtime.stop();
  const reports = lines.filter((line) => line.message === "restoring");
  assert.ok(reports.length >= 2, `${reports.length} progress reports`);
  const counts = reports.map((line) => line.fields.records as number);
  assert.deepEqual(
    counts,
    [...counts].sort((a, b) => a - b),
    "counts only grow",
  );
  const total = reports[0]?.fields.of as number;
  // The counters' state, and the runtime's own (the schema registry's record of the value spec).
  assert.ok(total >= 3000 && total === restored?.stateRecords, `${total} records in all`);
  assert.ok(counts.every((count) => count > 0 && count <= total));
  for (const line of reports) {
    assert.equal(line.fields.percent, Math.floor((100 * (line.fields.records as number)) / total));
    assert.equal(line.fields.file, restored?.file);
  }
});
