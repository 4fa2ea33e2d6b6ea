/**
 * The request-reply handler's effects, bytes in and bytes out (invariant 4 of request-reply.ts):
 * batches run in order with callers and accumulated state, delayed messages and cancellations
 * keep their order, egress records, deletes, and unchanged values left out.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  KAFKA_PRODUCER_RECORD_TYPENAME,
  MutationType,
  TypedValue,
  addressOf,
  decodeKafkaProducerRecord,
  intType,
  stringType,
} from "@statefun-ts/protocol";
import type { Address } from "@statefun-ts/protocol";
import {
  createRequestReplyHandler,
  createStatefulFunctions,
  egressMessageBuilder,
  jsonType,
  kafkaEgressMessage,
  messageBuilder,
} from "../src/index.js";
import { hex, request, resultOf } from "./handler-helpers.js";

const logType = jsonType<string[]>("test/Log");
const text = (value: string) => TypedValue.of(stringType, value);
const decoder = new TextDecoder();

test("a batch runs in order against one state view; callers are set only for function senders", async () => {
  const seen: { caller: Address | undefined; log: string[] | undefined }[] = [];
  const functions = createStatefulFunctions().bind({
    typename: "test/batch",
    state: { log: logType, count: intType },
    async fn(context, message) {
      seen.push({ caller: context.caller, log: context.storage.log });
      await Promise.resolve();
      context.storage.log = [...(context.storage.log ?? []), message.asString()];
      context.storage.count = (context.storage.count ?? 0) + 1;
    },
  });
  const caller = addressOf("test/other", "friend");
  const reply = await createRequestReplyHandler(functions).handle(
    request(
      ["test/batch", "x"],
      [{ name: "log", value: TypedValue.of(logType, ["before"]) }, { name: "count" }],
      [{ argument: text("a") }, { argument: text("b"), caller }, { argument: text("c") }],
    ),
  );
  assert.deepEqual(seen, [
    { caller: undefined, log: ["before"] },
    { caller, log: ["before", "a"] },
    { caller: undefined, log: ["before", "a", "b"] },
  ]);
  const result = resultOf(reply);
  assert.deepEqual(
    result.stateMutations.map((m) => [m.stateName, m.mutationType, m.stateValue?.typename]),
    [
      ["log", MutationType.MODIFY, "test/Log"],
      ["count", MutationType.MODIFY, "io.statefun.types/int"],
    ],
  );
  assert.equal(
    decoder.decode(result.stateMutations[0]?.stateValue?.value),
    JSON.stringify(["before", "a", "b", "c"]),
  );
  assert.equal(hex(result.stateMutations[1]?.stateValue?.value ?? new Uint8Array()), "0d03000000");
});

test("messages, delayed messages, cancellations and egress records are reported in call order", async () => {
  const functions = createStatefulFunctions().bind({
    typename: "test/effects",
    fn(context, message) {
      const n = message.asInt();
      const to = (id: string) => messageBuilder({ typename: "test/peer", id, value: n });
      context.send(to(`m${n}`));
      context.sendAfter(1000 * n, to(`d${n}`), `token-${n}`);
      context.cancelDelayedMessage(`token-${n - 1}`);
      context.sendAfter(0, to(`now${n}`));
      context.sendEgress(
        kafkaEgressMessage({ typename: "test/kafka", topic: "out", key: `k${n}`, value: `v${n}` }),
      );
      context.sendEgress(
        egressMessageBuilder({ typename: "test/generic", value: `g${n}`, valueType: stringType }),
      );
    },
  });
  const reply = await createRequestReplyHandler(functions).handle(
    request(
      ["test/effects", "x"],
      [],
      [{ argument: TypedValue.of(intType, 1) }, { argument: TypedValue.of(intType, 2) }],
    ),
  );
  const result = resultOf(reply);
  assert.deepEqual(result.stateMutations, []);
  assert.deepEqual(
    result.outgoingMessages.map((m) => [m.target?.namespace, m.target?.type, m.target?.id]),
    [
      ["test", "peer", "m1"],
      ["test", "peer", "m2"],
    ],
  );
  assert.deepEqual(
    result.delayedInvocations.map((d) =>
      d.isCancellationRequest
        ? ["cancel", d.cancellationToken]
        : ["send", d.target?.id, d.delayInMs, d.cancellationToken],
    ),
    [
      ["send", "d1", 1000, "token-1"],
      ["cancel", "token-0"],
      ["send", "now1", 0, ""],
      ["send", "d2", 2000, "token-2"],
      ["cancel", "token-1"],
      ["send", "now2", 0, ""],
    ],
  );
  const delayedArgument = result.delayedInvocations[0]?.argument;
  assert.equal(delayedArgument?.typename, "io.statefun.types/int");
  assert.equal(hex(delayedArgument?.value ?? new Uint8Array()), "0d01000000");
  assert.deepEqual(
    result.outgoingEgresses.map((e) => {
      const argument = e.argument;
      const value = argument?.value ?? new Uint8Array();
      if (argument?.typename === KAFKA_PRODUCER_RECORD_TYPENAME) {
        const record = decodeKafkaProducerRecord(value);
        return [
          `${e.egressNamespace}/${e.egressType}`,
          record.topic,
          record.key,
          decoder.decode(record.valueBytes),
        ];
      }
      return [`${e.egressNamespace}/${e.egressType}`, argument?.typename, hex(value)];
    }),
    [
      ["test/kafka", "out", "k1", "v1"],
      ["test/generic", "io.statefun.types/string", hex(stringType.serialize("g1"))],
      ["test/kafka", "out", "k2", "v2"],
      ["test/generic", "io.statefun.types/string", hex(stringType.serialize("g2"))],
    ],
  );
});

test("deleting a value reports DELETE without a value; values only read are not reported", async () => {
  const functions = createStatefulFunctions().bind({
    typename: "test/delete",
    state: { doomed: stringType, kept: intType, rewritten: intType },
    fn(context) {
      assert.equal(context.storage.kept, 7);
      context.storage.doomed = undefined;
      context.storage.rewritten = 1;
      context.storage.rewritten = undefined;
    },
  });
  const reply = await createRequestReplyHandler(functions).handle(
    request(
      ["test/delete", "x"],
      [
        { name: "doomed", value: text("bye") },
        { name: "kept", value: TypedValue.of(intType, 7) },
        { name: "rewritten" },
      ],
      [{ argument: text("go") }],
    ),
  );
  const result = resultOf(reply);
  assert.deepEqual(
    result.stateMutations.map((m) => [m.stateName, m.mutationType, m.stateValue ?? null]),
    [
      ["doomed", MutationType.DELETE, null],
      ["rewritten", MutationType.DELETE, null],
    ],
  );
});

test("a batch that changes nothing replies with an empty InvocationResponse", async () => {
  const functions = createStatefulFunctions().bind({
    typename: "test/idle",
    state: { count: intType },
    fn(context) {
      void context.storage.count;
    },
  });
  const result = resultOf(
    await createRequestReplyHandler(functions).handle(
      request(
        ["test/idle", "x"],
        [{ name: "count", value: TypedValue.of(intType, 3) }],
        [{ argument: text("a") }, { argument: text("b") }],
      ),
    ),
  );
  assert.deepEqual(result.stateMutations, []);
  assert.deepEqual(result.outgoingMessages, []);
  assert.deepEqual(result.delayedInvocations, []);
  assert.deepEqual(result.outgoingEgresses, []);
});

test("requests are independent: concurrent batches of different addresses do not share state", async () => {
  const functions = createStatefulFunctions().bind({
    typename: "test/counter",
    state: { count: intType },
    async fn(context, message) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      context.storage.count = (context.storage.count ?? 0) + message.asInt();
    },
  });
  const handler = createRequestReplyHandler(functions);
  const replies = await Promise.all(
    [1, 2, 3].map((n) =>
      handler.handle(
        request(
          ["test/counter", `id${n}`],
          [{ name: "count", value: TypedValue.of(intType, n * 10) }],
          [{ argument: TypedValue.of(intType, n) }],
        ),
      ),
    ),
  );
  assert.deepEqual(
    replies.map((r) =>
      intType.deserialize(resultOf(r).stateMutations[0]?.stateValue?.value ?? new Uint8Array()),
    ),
    [11, 22, 33],
  );
});
