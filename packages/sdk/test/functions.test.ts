/**
 * The SDK's function registry and batch engine: typed storage semantics (absent = undefined,
 * assign undefined = delete, copies for mutable types), effects in call order, sequential
 * batches, closed contexts, and validation of arguments.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { InvocationInput } from "@statefun-ts/protocol";
import { StatefunError, TypedValue, addressOf, intType, stringType } from "@statefun-ts/protocol";
import type { Context } from "../src/index.js";
import {
  createStatefulFunctions,
  egressMessageBuilder,
  invokeBatch,
  jsonType,
  messageBuilder,
} from "../src/index.js";

const self = addressOf("test/fn", "me");

function input(value: TypedValue, caller?: string): InvocationInput {
  return {
    caller: caller === undefined ? undefined : addressOf("test/caller", caller),
    argument: value,
  };
}

async function run(
  functions: ReturnType<typeof createStatefulFunctions>,
  typename: string,
  state: (TypedValue | undefined)[],
  inputs: InvocationInput[],
) {
  const bound = functions.get(typename);
  assert.ok(bound);
  return await invokeBatch(bound, addressOf(typename, "me"), state, inputs);
}

test("storage reads undefined when absent, writes are reported as mutations, undefined deletes", async () => {
  const functions = createStatefulFunctions().bind({
    typename: "test/fn",
    state: { count: intType, name: stringType, gone: stringType },
    fn(ctx) {
      assert.equal(ctx.storage.count, undefined);
      assert.equal(ctx.storage.name, "old");
      ctx.storage.count = 5;
      assert.equal(ctx.storage.count, 5);
      ctx.storage.gone = undefined;
    },
  });
  const effects = await run(
    functions,
    "test/fn",
    [undefined, TypedValue.of(stringType, "old"), TypedValue.of(stringType, "x")],
    [input(TypedValue.of(intType, 1))],
  );
  assert.deepEqual(
    effects.stateMutations.map((m) => [
      m.name,
      m.name === "count" ? m.value?.as(intType) : m.value?.as(stringType),
    ]),
    [
      ["count", 5],
      ["gone", undefined],
    ],
  );
});

test("unchanged values are not reported; the last write wins within a batch", async () => {
  const functions = createStatefulFunctions().bind({
    typename: "test/fn",
    state: { count: intType, other: intType },
    fn(ctx, message) {
      ctx.storage.count = (ctx.storage.count ?? 0) + message.asInt();
    },
  });
  const effects = await run(
    functions,
    "test/fn",
    [TypedValue.of(intType, 10), TypedValue.of(intType, 99)],
    [
      input(TypedValue.of(intType, 1)),
      input(TypedValue.of(intType, 2)),
      input(TypedValue.of(intType, 3)),
    ],
  );
  assert.equal(effects.stateMutations.length, 1);
  assert.equal(effects.stateMutations[0]?.value?.as(intType), 16);
});

test("values of JSON types are copies: mutating a read object does not persist unless assigned", async () => {
  const profile = jsonType<{ visits: number }>("test/Profile");
  const functions = createStatefulFunctions().bind({
    typename: "test/fn",
    state: { profile },
    fn(ctx, message) {
      const read = ctx.storage.profile ?? { visits: 0 };
      read.visits += 100;
      if (message.asString() === "save") ctx.storage.profile = read;
      read.visits += 1000; // after assignment: must not leak into the stored value
    },
  });
  const initial = TypedValue.of(profile, { visits: 1 });
  const noSave = await run(
    functions,
    "test/fn",
    [initial],
    [input(TypedValue.of(stringType, "peek"))],
  );
  assert.equal(noSave.stateMutations.length, 0);
  const save = await run(
    functions,
    "test/fn",
    [initial],
    [input(TypedValue.of(stringType, "save"))],
  );
  assert.deepEqual(save.stateMutations[0]?.value?.as(profile), { visits: 101 });
});

test("effects are collected in call order with the caller of each invocation visible", async () => {
  const callers: (string | undefined)[] = [];
  const functions = createStatefulFunctions().bind({
    typename: "test/fn",
    fn(ctx, message) {
      callers.push(ctx.caller?.id);
      const n = message.asInt();
      ctx.send(messageBuilder({ typename: "test/other", id: `m${n}`, value: n }));
      ctx.sendAfter(
        n * 10,
        messageBuilder({ typename: "test/other", id: `d${n}`, value: n }),
        `t${n}`,
      );
      if (n === 2) ctx.cancelDelayedMessage("t1");
      ctx.sendEgress(
        egressMessageBuilder({ typename: "test/egress", value: `e${n}`, valueType: stringType }),
      );
    },
  });
  const effects = await run(
    functions,
    "test/fn",
    [],
    [input(TypedValue.of(intType, 1), "a"), input(TypedValue.of(intType, 2))],
  );
  assert.deepEqual(callers, ["a", undefined]);
  assert.deepEqual(
    effects.messages.map((m) => m.target.id),
    ["m1", "m2"],
  );
  assert.deepEqual(
    effects.delayed.map((d) =>
      d.kind === "send"
        ? `send ${d.message.target.id} ${d.delayMs} ${d.cancellationToken}`
        : `cancel ${d.cancellationToken}`,
    ),
    ["send d1 10 t1", "send d2 20 t2", "cancel t1"],
  );
  assert.deepEqual(
    effects.egress.map((e) => `${e.egress} ${e.value.as(stringType)}`),
    ["test/egress e1", "test/egress e2"],
  );
});

test("async handlers run strictly sequentially within a batch", async () => {
  const log: string[] = [];
  const functions = createStatefulFunctions().bind({
    typename: "test/fn",
    state: { n: intType },
    async fn(ctx, message) {
      const n = message.asInt();
      log.push(`start ${n}`);
      await new Promise((resolve) => setTimeout(resolve, 3 - n));
      ctx.storage.n = (ctx.storage.n ?? 0) * 10 + n;
      log.push(`end ${n}`);
    },
  });
  const effects = await run(
    functions,
    "test/fn",
    [undefined],
    [1, 2, 3].map((n) => input(TypedValue.of(intType, n))),
  );
  assert.deepEqual(log, ["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
  assert.equal(effects.stateMutations[0]?.value?.as(intType), 123);
});

test("a context used after its invocation completed throws illegal-state", async () => {
  let leaked: Context | undefined;
  const functions = createStatefulFunctions().bind({
    typename: "test/fn",
    fn(ctx) {
      leaked = ctx;
    },
  });
  await run(functions, "test/fn", [], [input(TypedValue.of(intType, 1))]);
  assert.throws(
    () => leaked?.send(messageBuilder({ typename: "test/x", id: "1", value: 1 })),
    (error: unknown) => error instanceof StatefunError && error.code === "illegal-state",
  );
});

test("a throwing handler propagates its error (sync and async)", async () => {
  const functions = createStatefulFunctions()
    .bind({
      typename: "test/sync",
      fn: () => {
        throw new Error("sync boom");
      },
    })
    .bind({
      typename: "test/async",
      fn: async () => {
        await Promise.resolve();
        throw new Error("async boom");
      },
    });
  assert.throws(
    () => invokeBatch(functions.get("test/sync")!, self, [], [input(TypedValue.of(intType, 1))]),
    /sync boom/,
  );
  await assert.rejects(
    async () =>
      await invokeBatch(functions.get("test/async")!, self, [], [input(TypedValue.of(intType, 1))]),
    /async boom/,
  );
});

test("unknown storage properties cannot be added (typos fail loudly)", async () => {
  const functions = createStatefulFunctions().bind({
    typename: "test/fn",
    state: { count: intType },
    fn(ctx) {
      (ctx.storage as Record<string, unknown>).cuont = 1;
    },
  });
  await assert.rejects(
    async () => await run(functions, "test/fn", [undefined], [input(TypedValue.of(intType, 1))]),
    TypeError,
  );
});

test("invalid arguments are refused with clear errors", () => {
  const invalid = (error: unknown) =>
    error instanceof StatefunError && error.code === "invalid-argument";
  assert.throws(
    () => createStatefulFunctions().bind({ typename: "no-slash", fn: () => {} }),
    /typename/,
  );
  assert.throws(
    () =>
      createStatefulFunctions().bind({
        typename: "a/b",
        state: { "bad name": intType },
        fn: () => {},
      }),
    invalid,
  );
  assert.throws(
    () =>
      createStatefulFunctions().bind({
        typename: "a/b",
        state: { x: { type: intType, expireAfterWriteMs: 1, expireAfterInvokeMs: 1 } },
        fn: () => {},
      }),
    /not both/,
  );
  assert.throws(
    () =>
      createStatefulFunctions().bind({
        typename: "a/b",
        state: { x: { type: intType, expireAfterWriteMs: -5 } },
        fn: () => {},
      }),
    invalid,
  );
  assert.throws(() => messageBuilder({ typename: "a/b", id: "", value: 1 }), invalid);
  assert.throws(() => messageBuilder({ typename: "a/b", id: "x", value: 1.5 }), /pass valueType/);
  assert.throws(() => messageBuilder({ typename: "a/b", id: "x", value: null }), invalid);
  const functions = createStatefulFunctions().bind({
    typename: "a/b",
    fn(ctx) {
      ctx.sendAfter(-1, messageBuilder({ typename: "a/b", id: "x", value: 1 }));
    },
  });
  assert.throws(
    () => invokeBatch(functions.get("a/b")!, self, [], [input(TypedValue.of(intType, 1))]),
    /delayMs/,
  );
});

test("message builders infer built-in types", () => {
  assert.equal(
    messageBuilder({ typename: "a/b", id: "x", value: "s" }).value.typename,
    "io.statefun.types/string",
  );
  assert.equal(
    messageBuilder({ typename: "a/b", id: "x", value: 7 }).value.typename,
    "io.statefun.types/int",
  );
  assert.equal(
    messageBuilder({ typename: "a/b", id: "x", value: true }).value.typename,
    "io.statefun.types/bool",
  );
  assert.equal(
    messageBuilder({ typename: "a/b", id: "x", value: 7n }).value.typename,
    "io.statefun.types/long",
  );
  assert.deepEqual(
    Buffer.from(messageBuilder({ typename: "a/b", id: "x", value: 1 }).value.bytes).toString("hex"),
    "0d01000000",
  );
});
