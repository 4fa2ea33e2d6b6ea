/**
 * Delayed messages and cancellation (reference §1.8) driven by a manual clock: due-time order,
 * scheduling order for equal due times, sender-scoped tokens, cancellation of fired or unknown
 * tokens, and the refusal of a duplicate pending token.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { TypedValue, stringType } from "@statefun-ts/protocol";
import { createStatefulFunctions, messageBuilder } from "@statefun-ts/sdk";
import { at, manualRuntime } from "./helpers.js";

interface Command {
  readonly op: "after" | "cancel";
  readonly delayMs?: number;
  readonly token?: string;
  readonly text?: string;
}

function scheduler(
  received: { text: string; caller: string | undefined; at: number }[],
  now: () => number,
) {
  return createStatefulFunctions()
    .bind({
      typename: "test/scheduler",
      fn(ctx, message) {
        const commands = JSON.parse(message.asString()) as Command[];
        for (const command of commands) {
          if (command.op === "cancel") {
            ctx.cancelDelayedMessage(command.token as string);
          } else {
            ctx.sendAfter(
              command.delayMs as number,
              messageBuilder({ typename: "test/receiver", id: "r", value: command.text as string }),
              command.token,
            );
          }
        }
      },
    })
    .bind({
      typename: "test/receiver",
      fn(ctx, message) {
        received.push({
          text: message.asString(),
          caller: ctx.caller === undefined ? undefined : `${ctx.caller.typename}/${ctx.caller.id}`,
          at: now(),
        });
      },
    });
}

function commands(...list: Command[]): TypedValue {
  return TypedValue.of(stringType, JSON.stringify(list));
}

test("delayed messages fire at their due time, in due order, then scheduling order", async () => {
  const received: { text: string; caller: string | undefined; at: number }[] = [];
  let clockRef: { now(): number } = { now: () => 0 };
  const { runtime, clock } = manualRuntime(scheduler(received, () => clockRef.now()));
  clockRef = clock;
  const start = clock.now();
  await runtime.submit(
    at("test/scheduler", "s"),
    commands(
      { op: "after", delayMs: 300, text: "c" },
      { op: "after", delayMs: 100, text: "a" },
      { op: "after", delayMs: 200, text: "b1" },
      { op: "after", delayMs: 200, text: "b2" },
      { op: "after", delayMs: 0, text: "now" },
    ),
  );
  await runtime.whenIdle();
  assert.equal(received.length, 0, "nothing may fire before the clock moves");
  assert.equal(runtime.load().delayed, 5);
  clock.advance(0);
  await runtime.whenIdle();
  assert.deepEqual(
    received.map((r) => r.text),
    ["now"],
  );
  clock.advance(99);
  await runtime.whenIdle();
  assert.deepEqual(
    received.map((r) => r.text),
    ["now"],
    "not before the due time",
  );
  clock.advance(1);
  await runtime.whenIdle();
  assert.deepEqual(
    received.map((r) => r.text),
    ["now", "a"],
  );
  clock.advance(100);
  await runtime.whenIdle();
  assert.deepEqual(
    received.map((r) => r.text),
    ["now", "a", "b1", "b2"],
  );
  clock.advance(100);
  await runtime.whenIdle();
  assert.deepEqual(
    received.map((r) => r.text),
    ["now", "a", "b1", "b2", "c"],
  );
  assert.deepEqual(
    received.map((r) => r.at - start),
    [0, 100, 200, 200, 300],
  );
  assert.ok(
    received.every((r) => r.caller === "test/scheduler/s"),
    "caller is the sender",
  );
  assert.equal(runtime.load().delayed, 0);
  await runtime.stop();
});

test("cancellation removes a pending message; cancelling a fired or unknown token is a no-op", async () => {
  const received: { text: string; caller: string | undefined; at: number }[] = [];
  const { runtime, clock } = manualRuntime(scheduler(received, () => 0));
  const s = at("test/scheduler", "s");
  await runtime.submit(
    s,
    commands(
      { op: "after", delayMs: 100, token: "t1", text: "cancelled" },
      { op: "after", delayMs: 100, token: "t2", text: "kept" },
      { op: "after", delayMs: 50, token: "t3", text: "fires" },
    ),
  );
  await runtime.whenIdle();
  await runtime.submit(
    s,
    commands({ op: "cancel", token: "t1" }, { op: "cancel", token: "never" }),
  );
  await runtime.whenIdle();
  clock.advance(60);
  await runtime.whenIdle();
  await runtime.submit(s, commands({ op: "cancel", token: "t3" }));
  await runtime.whenIdle();
  clock.advance(100);
  await runtime.whenIdle();
  assert.deepEqual(
    received.map((r) => r.text),
    ["fires", "kept"],
  );
  assert.deepEqual(runtime.failures(), []);
  await runtime.stop();
});

test("tokens are scoped to the sending address", async () => {
  const received: { text: string; caller: string | undefined; at: number }[] = [];
  const { runtime, clock } = manualRuntime(scheduler(received, () => 0));
  await runtime.submit(
    at("test/scheduler", "a"),
    commands({ op: "after", delayMs: 10, token: "t", text: "from a" }),
  );
  await runtime.submit(
    at("test/scheduler", "b"),
    commands({ op: "after", delayMs: 10, token: "t", text: "from b" }),
  );
  await runtime.whenIdle();
  assert.deepEqual(runtime.failures(), [], "the same token from two addresses is fine");
  await runtime.submit(at("test/scheduler", "b"), commands({ op: "cancel", token: "t" }));
  await runtime.whenIdle();
  clock.advance(10);
  await runtime.whenIdle();
  assert.deepEqual(
    received.map((r) => r.text),
    ["from a"],
  );
  await runtime.stop();
});

test("a token may be reused after its message fired or was cancelled, even within one batch", async () => {
  const received: { text: string; caller: string | undefined; at: number }[] = [];
  const { runtime, clock } = manualRuntime(scheduler(received, () => 0));
  const s = at("test/scheduler", "s");
  await runtime.submit(
    s,
    commands(
      { op: "after", delayMs: 10, token: "t", text: "first" },
      { op: "cancel", token: "t" },
      { op: "after", delayMs: 10, token: "t", text: "second" },
    ),
  );
  await runtime.whenIdle();
  clock.advance(10);
  await runtime.whenIdle();
  await runtime.submit(s, commands({ op: "after", delayMs: 5, token: "t", text: "third" }));
  await runtime.whenIdle();
  clock.advance(5);
  await runtime.whenIdle();
  assert.deepEqual(
    received.map((r) => r.text),
    ["second", "third"],
  );
  assert.deepEqual(runtime.failures(), []);
  await runtime.stop();
});

test("a duplicate pending token fails the invocation and applies none of its effects", async () => {
  const received: { text: string; caller: string | undefined; at: number }[] = [];
  const { runtime, clock } = manualRuntime(
    scheduler(received, () => 0),
    {
      retry: { initialBackoffMs: 1_000_000, maxBackoffMs: 1_000_000 },
    },
  );
  const s = at("test/scheduler", "s");
  await runtime.submit(s, commands({ op: "after", delayMs: 10, token: "t", text: "original" }));
  await runtime.whenIdle();
  await runtime.submit(
    s,
    commands(
      { op: "after", delayMs: 1, text: "side effect" },
      { op: "after", delayMs: 10, token: "t", text: "duplicate" },
    ),
  );
  await runtime.whenIdle();
  const failures = runtime.failures();
  assert.equal(failures.length, 1);
  assert.match(
    String((failures[0]?.error as Error).message),
    /cancellation token "t" is already pending/,
  );
  clock.advance(10);
  await runtime.whenIdle();
  assert.deepEqual(
    received.map((r) => r.text),
    ["original"],
    "no effect of the failed batch was applied",
  );
  await runtime.stop();
});
