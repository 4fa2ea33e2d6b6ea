/**
 * The request-reply handler's failures without sockets (invariants 1 and 5 of request-reply.ts):
 * unknown function types, dispatch on namespace and type, malformed requests, and user code that
 * throws — with what reaches `onError`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  StatefunError,
  TypedValue,
  encodeToFunction,
  intType,
  isStatefunError,
  stringType,
  toWireTypedValue,
} from "@statefun-ts/protocol";
import { createRequestReplyHandler, createStatefulFunctions } from "../src/index.js";
import { errorRecorder, request, resultOf } from "./handler-helpers.js";

const bob: readonly [string, string] = ["example/person", "Bob"];
const hello = TypedValue.of(stringType, "hello");

test("an unknown function type is refused with unknown-function-type and not reported", async () => {
  const recorder = errorRecorder();
  const handler = createRequestReplyHandler(greeterFunctions(), { onError: recorder.onError });
  await assert.rejects(
    handler.handle(request(["example/nobody", "x"], [], [{ argument: hello }])),
    (error: unknown) =>
      isStatefunError(error, "unknown-function-type") && /example\/nobody\/x/.test(error.message),
  );
  assert.equal(recorder.calls.length, 0);
});

test("dispatch uses the target's namespace and type; a type with a slash matches nothing", async () => {
  const functions = createStatefulFunctions().bind({ typename: "a/b", fn() {} });
  const handler = createRequestReplyHandler(functions);
  const ok = resultOf(await handler.handle(request(["a/b", "any id"], [], [{ argument: hello }])));
  assert.deepEqual(ok.stateMutations, []);
  for (const target of [
    { namespace: "a/b", type: "c", id: "x" },
    { namespace: "a", type: "b/c", id: "x" },
    { namespace: "b", type: "a", id: "x" },
  ]) {
    const body = encodeToFunction({
      invocation: { target, state: [], invocations: [{ argument: toWireTypedValue(hello) }] },
    });
    await assert.rejects(handler.handle(body), (error: unknown) =>
      isStatefunError(error, "unknown-function-type"),
    );
  }
});

test("bytes that are not a ToFunction, or lack the batch or the target, are protocol errors", async () => {
  const recorder = errorRecorder();
  const handler = createRequestReplyHandler(greeterFunctions(), { onError: recorder.onError });
  const bodies = [
    new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
    new Uint8Array(0),
    encodeToFunction({}),
    encodeToFunction({ invocation: { state: [], invocations: [] } }),
  ];
  for (const body of bodies) {
    await assert.rejects(handler.handle(body), (error: unknown) =>
      isStatefunError(error, "protocol-error"),
    );
  }
  assert.equal(recorder.calls.length, 0);
});

test("an error thrown by user code rejects with function-failed naming the address, cause kept", async () => {
  for (const async of [false, true]) {
    const boom = new Error("boom");
    const recorder = errorRecorder();
    const functions = createStatefulFunctions().bind({
      typename: "example/person",
      state: { visits: intType },
      fn: async
        ? async (context) => {
            context.storage.visits = 1;
            await Promise.resolve();
            throw boom;
          }
        : () => {
            throw boom;
          },
    });
    const handler = createRequestReplyHandler(functions, { onError: recorder.onError });
    const body = request(bob, [{ name: "visits" }], [{ argument: hello }]);
    await assert.rejects(handler.handle(body), (error: unknown) => {
      assert.ok(error instanceof StatefunError);
      assert.equal(error.code, "function-failed");
      assert.equal(error.cause, boom);
      assert.match(error.message, /example\/person\/Bob/);
      assert.match(error.message, /boom/);
      return true;
    });
    assert.deepEqual(
      recorder.calls.map((c) => [c.error instanceof StatefunError && c.error.cause, c.target]),
      [[boom, "example/person/Bob"]],
    );
  }
});

test("a failing onError hook does not change the outcome", async () => {
  const functions = createStatefulFunctions().bind({
    typename: "test/fails",
    fn() {
      throw new Error("boom");
    },
  });
  const handler = createRequestReplyHandler(functions, {
    onError() {
      throw new Error("hook failed");
    },
  });
  await assert.rejects(
    handler.handle(request(["test/fails", "x"], [], [{ argument: hello }])),
    (error: unknown) => isStatefunError(error, "function-failed"),
  );
});

function greeterFunctions() {
  return createStatefulFunctions().bind({
    typename: "example/person",
    fn() {},
  });
}

test("a value its state type cannot serialize fails the invocation, naming the address", async () => {
  // Values of immutable types are serialized lazily, when the reply is encoded.
  const functions = createStatefulFunctions().bind({
    typename: "example/person",
    state: { visits: intType },
    fn(context) {
      context.storage.visits = 1.5;
    },
  });
  const recorder = errorRecorder();
  const handler = createRequestReplyHandler(functions, { onError: recorder.onError });
  await assert.rejects(
    handler.handle(request(bob, [{ name: "visits" }], [{ argument: hello }])),
    (error: unknown) =>
      isStatefunError(error, "function-failed") &&
      /example\/person\/Bob/.test(error.message) &&
      isStatefunError(error.cause, "invalid-argument"),
  );
  assert.equal(recorder.calls[0]?.target, "example/person/Bob");
});

test("invalid arguments are refused at construction", () => {
  const notARegistry = {} as Parameters<typeof createRequestReplyHandler>[0];
  assert.throws(() => createRequestReplyHandler(notARegistry), /createStatefulFunctions/);
  const onError = "log" as unknown as () => void;
  assert.throws(
    () => createRequestReplyHandler(createStatefulFunctions(), { onError }),
    /onError must be a function/,
  );
});
