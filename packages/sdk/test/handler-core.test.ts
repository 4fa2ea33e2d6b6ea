/**
 * The request-reply handler without sockets, bytes in and bytes out: the reference's §1.13
 * exchange step by step, missing-state negotiation with expiration specs (invariant 2 of
 * request-reply.ts) and state type checks (invariant 3). Failures: handler-core-failures.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ExpireMode,
  MutationType,
  TypedValue,
  intType,
  isStatefunError,
  stringType,
} from "@statefun-ts/protocol";
import {
  createRequestReplyHandler,
  createStatefulFunctions,
  jsonType,
  messageBuilder,
} from "../src/index.js";
import { errorRecorder, hex, missingOf, plainSpec, request, resultOf } from "./handler-helpers.js";

interface GreetRequest {
  name: string;
  visits?: number;
}
const greetRequest = jsonType<GreetRequest>("example/GreetRequest");
const bob: readonly [string, string] = ["example/person", "Bob"];
const hello = TypedValue.of(greetRequest, { name: "Bob" });

function greeter() {
  const calls = { count: 0 };
  const functions = createStatefulFunctions().bind({
    typename: "example/person",
    state: { visits: intType },
    fn(context, message) {
      calls.count++;
      const visits = (context.storage.visits ?? 0) + 1;
      context.storage.visits = visits;
      const name = message.as(greetRequest).name;
      context.send(
        messageBuilder({
          typename: "example/greeter",
          id: name,
          value: { name, visits },
          valueType: greetRequest,
        }),
      );
    },
  });
  return { calls, handler: createRequestReplyHandler(functions) };
}

test("§1.13 step 1–2: without state, the reply lists the missing spec and runs no code", async () => {
  const { calls, handler } = greeter();
  const reply = await handler.handle(request(bob, [], [{ argument: hello }]));
  assert.equal(hex(reply.subarray(0, 2)), "aa06");
  assert.deepEqual(missingOf(reply).map(plainSpec), [
    { name: "visits", typename: "io.statefun.types/int", expiration: null },
  ]);
  assert.equal(calls.count, 0);
});

test("§1.13 step 3–4: a registered state without value → MODIFY visits=1 and the greeting", async () => {
  const { calls, handler } = greeter();
  const reply = await handler.handle(request(bob, [{ name: "visits" }], [{ argument: hello }]));
  assert.equal(hex(reply.subarray(0, 2)), "a206");
  const result = resultOf(reply);
  assert.equal(calls.count, 1);
  assert.equal(result.stateMutations.length, 1);
  const mutation = result.stateMutations[0];
  assert.equal(mutation?.mutationType, MutationType.MODIFY);
  assert.equal(mutation?.stateName, "visits");
  assert.equal(mutation?.stateValue?.typename, "io.statefun.types/int");
  assert.equal(mutation?.stateValue?.hasValue, true);
  assert.equal(hex(mutation?.stateValue?.value ?? new Uint8Array()), "0d01000000");
  assert.equal(result.outgoingMessages.length, 1);
  const message = result.outgoingMessages[0];
  assert.deepEqual({ ...message?.target }, { namespace: "example", type: "greeter", id: "Bob" });
  assert.equal(message?.argument?.typename, "example/GreetRequest");
  assert.equal(
    Buffer.from(message?.argument?.value ?? []).toString(),
    JSON.stringify({ name: "Bob", visits: 1 }),
  );
  assert.deepEqual(result.delayedInvocations, []);
  assert.deepEqual(result.outgoingEgresses, []);
});

test("§1.13 step 5: the next request carries visits=1 → MODIFY visits=2", async () => {
  const { handler } = greeter();
  const state = [{ name: "visits", value: TypedValue.of(intType, 1) }];
  const result = resultOf(await handler.handle(request(bob, state, [{ argument: hello }])));
  assert.equal(hex(result.stateMutations[0]?.stateValue?.value ?? new Uint8Array()), "0d02000000");
});

test("the incomplete context carries after-write, after-invoke and no expiration, in spec order", async () => {
  const functions = createStatefulFunctions().bind({
    typename: "test/ttl",
    state: {
      written: { type: intType, expireAfterWriteMs: 60_000 },
      invoked: { type: stringType, expireAfterInvokeMs: 5_000 },
      forever: stringType,
    },
    fn() {},
  });
  const reply = await createRequestReplyHandler(functions).handle(
    request(["test/ttl", "x"], [], [{ argument: hello }]),
  );
  assert.deepEqual(missingOf(reply).map(plainSpec), [
    {
      name: "written",
      typename: "io.statefun.types/int",
      expiration: { mode: ExpireMode.AFTER_WRITE, ms: 60_000 },
    },
    {
      name: "invoked",
      typename: "io.statefun.types/string",
      expiration: { mode: ExpireMode.AFTER_INVOKE, ms: 5_000 },
    },
    { name: "forever", typename: "io.statefun.types/string", expiration: null },
  ]);
});

test("only the missing specs are listed when some are present; no code runs", async () => {
  let ran = false;
  const functions = createStatefulFunctions().bind({
    typename: "test/partial",
    state: { a: intType, b: intType, c: stringType },
    fn() {
      ran = true;
    },
  });
  const reply = await createRequestReplyHandler(functions).handle(
    request(
      ["test/partial", "x"],
      [{ name: "b", value: TypedValue.of(intType, 3) }, { name: "unrelated" }],
      [{ argument: hello }],
    ),
  );
  assert.deepEqual(
    missingOf(reply).map((s) => s.stateName),
    ["a", "c"],
  );
  assert.equal(ran, false);
});

test("states the function does not declare are ignored, whatever their type", async () => {
  const functions = createStatefulFunctions().bind({
    typename: "test/extra",
    state: { count: intType },
    fn(context) {
      context.storage.count = (context.storage.count ?? 0) + 1;
    },
  });
  const reply = await createRequestReplyHandler(functions).handle(
    request(
      ["test/extra", "x"],
      [
        { name: "old", value: TypedValue.of(stringType, "left over") },
        { name: "count", value: TypedValue.of(intType, 41) },
        { name: "gone" },
      ],
      [{ argument: hello }],
    ),
  );
  const result = resultOf(reply);
  assert.deepEqual(
    result.stateMutations.map((m) => [m.stateName, hex(m.stateValue?.value ?? new Uint8Array())]),
    [["count", "0d2a000000"]],
  );
});

test("a state value with another typename is refused before any code runs", async () => {
  let ran = false;
  const recorder = errorRecorder();
  const functions = createStatefulFunctions().bind({
    typename: "example/person",
    state: { visits: intType },
    fn() {
      ran = true;
    },
  });
  const handler = createRequestReplyHandler(functions, { onError: recorder.onError });
  const body = request(
    bob,
    [{ name: "visits", value: TypedValue.of(stringType, "1") }],
    [{ argument: hello }],
  );
  await assert.rejects(handler.handle(body), (error: unknown) => {
    assert.ok(isStatefunError(error, "type-mismatch"));
    for (const part of [
      "example/person",
      "visits",
      "io.statefun.types/int",
      "io.statefun.types/string",
    ]) {
      assert.match(error.message, new RegExp(part.replace(/[./]/g, "\\$&")));
    }
    return true;
  });
  assert.equal(ran, false);
  assert.equal(recorder.calls.length, 1);
  assert.equal(recorder.calls[0]?.target, "example/person/Bob");
});

test("a state entry with has_value=false counts as present without value, whatever its typename", async () => {
  const functions = createStatefulFunctions().bind({
    typename: "test/absent",
    state: { count: intType },
    fn(context) {
      assert.equal(context.storage.count, undefined);
    },
  });
  const reply = await createRequestReplyHandler(functions).handle(
    request(
      ["test/absent", "x"],
      [{ name: "count", value: TypedValue.absent("other/type") }],
      [{ argument: hello }],
    ),
  );
  assert.deepEqual(resultOf(reply).stateMutations, []);
});
