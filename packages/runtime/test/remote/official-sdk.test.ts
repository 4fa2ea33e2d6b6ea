/**
 * The official StateFun JavaScript SDK (npm apache-flink-statefun 3.3.0) as a real peer: its
 * functions, served by its own HTTP handler, run against our runtime through an unmodified
 * module.yaml (only the URL points at where they listen) — state, messaging between remote and
 * embedded functions, delayed messages and cancellation, egress, expiration, batching.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { TypedValue, addressOf, intType, stringType } from "@statefun-ts/protocol";
import {
  createStatefulFunctions,
  egressMessageBuilder,
  jsonType,
  messageBuilder,
} from "@statefun-ts/sdk";
import { ManualClock } from "../../src/index.js";
import { readState, waitFor } from "../core/helpers.js";
import { endpointYaml, official, remoteRuntime, serve } from "./harness.js";

const { StateFun } = official;

interface GreetRequest {
  readonly name: string;
  readonly visits: number;
}

test("remote and embedded functions message each other; remote state persists in the runtime", async () => {
  const statefun = new StateFun();
  const greetType = StateFun.jsonType("example/GreetRequest");
  statefun.bind({
    typename: "remote/person",
    specs: [{ name: "visits", type: StateFun.intType() }],
    fn(context, message) {
      const name = message.asString();
      const visits = ((context.storage.visits as number | null) ?? 0) + 1;
      context.storage.visits = visits;
      context.send(
        official.messageBuilder({
          typename: "local/greeter",
          id: name,
          value: { name, visits },
          valueType: greetType,
        }),
      );
    },
  });
  statefun.bind({
    typename: "remote/audit",
    specs: [{ name: "last", type: StateFun.stringType() }],
    fn(context, message) {
      context.storage.last = `${context.caller?.typename}/${context.caller?.id}: ${message.asString()}`;
    },
  });
  const server = await serve(statefun.handler());
  const greeting = jsonType<GreetRequest>("example/GreetRequest");
  const embedded = createStatefulFunctions().bind({
    typename: "local/greeter",
    fn(ctx, message) {
      const { name, visits } = message.as(greeting);
      const text = visits === 1 ? `Welcome ${name}` : `Hello again ${name} (${visits})`;
      ctx.sendEgress(
        egressMessageBuilder({ typename: "test/out", value: text, valueType: stringType }),
      );
      ctx.send(messageBuilder({ typename: "remote/audit", id: name, value: text }));
    },
  });
  const { runtime, egress, logger, stop } = remoteRuntime(endpointYaml("remote", server.url), {
    embedded,
  });
  try {
    for (const name of ["Bob", "Alice", "Bob"]) {
      await runtime.submit(addressOf("remote/person", name), TypedValue.of(stringType, name));
      await runtime.whenIdle();
    }
    assert.deepEqual(
      egress.records.map((r) => r.as(stringType)),
      ["Welcome Bob", "Welcome Alice", "Hello again Bob (2)"],
    );
    const now = Date.now();
    assert.equal(readState(runtime, addressOf("remote/person", "Bob"), "visits", intType, now), 2);
    assert.equal(
      readState(runtime, addressOf("remote/person", "Alice"), "visits", intType, now),
      1,
    );
    assert.equal(
      readState(runtime, addressOf("remote/audit", "Bob"), "last", stringType, now),
      "local/greeter/Bob: Hello again Bob (2)",
    );
    const registrations = logger.lines.filter((l) => l.message === "registered state specs");
    assert.deepEqual(
      registrations.map((l) => l.fields.functionType).sort(),
      ["remote/audit", "remote/person"],
      "one negotiation round per function type",
    );
    assert.deepEqual(runtime.failures(), []);
  } finally {
    await stop();
    await server.close();
  }
});

test("delayed messages and cancellation from an official-SDK function, on the runtime's clock", async () => {
  const statefun = new StateFun();
  statefun.bind({
    typename: "remote/timer",
    fn(context, message) {
      const [op, token, delay] = message.asString().split(":") as [string, string, string];
      if (op === "after") {
        context.sendAfter(
          Number(delay),
          official.messageBuilder({ typename: "local/sink", id: "s", value: token }),
          token,
        );
      } else {
        context.cancelDelayedMessage(token);
      }
    },
  });
  const server = await serve(statefun.handler());
  const fired: string[] = [];
  const embedded = createStatefulFunctions().bind({
    typename: "local/sink",
    fn(ctx, message) {
      fired.push(`${message.asString()} from ${ctx.caller?.typename}/${ctx.caller?.id}`);
    },
  });
  const clock = new ManualClock();
  const { runtime, stop } = remoteRuntime(endpointYaml("remote", server.url), { embedded, clock });
  const timer = addressOf("remote/timer", "t");
  const send = async (text: string) => {
    await runtime.submit(timer, TypedValue.of(stringType, text));
    await runtime.whenIdle();
  };
  try {
    await send("after:a:100");
    await send("after:b:200");
    await send("after:c:300");
    await send("cancel:b");
    await send("cancel:never");
    assert.equal(runtime.load().delayed, 2);
    clock.advance(99);
    await runtime.whenIdle();
    assert.deepEqual(fired, []);
    clock.advance(1);
    await runtime.whenIdle();
    await waitFor(() => fired.length === 1);
    clock.advance(200);
    await runtime.whenIdle();
    await waitFor(() => fired.length === 2);
    assert.deepEqual(fired, ["a from remote/timer/t", "c from remote/timer/t"]);
    await send("after:a:10");
    assert.deepEqual(runtime.failures(), [], "a fired token can be used again");
  } finally {
    await stop();
    await server.close();
  }
});

test("expiration specs declared by an official-SDK function are honoured", async () => {
  const statefun = new StateFun();
  const seen: (number | null)[] = [];
  statefun.bind({
    typename: "remote/ttl",
    specs: [{ name: "value", type: StateFun.intType(), expireAfterWrite: 1000 }],
    fn(context, message) {
      seen.push(context.storage.value as number | null);
      if (message.asString() === "write") context.storage.value = 5;
    },
  });
  const server = await serve(statefun.handler());
  const clock = new ManualClock();
  const { runtime, stop } = remoteRuntime(endpointYaml("remote", server.url), { clock });
  const address = addressOf("remote/ttl", "x");
  const send = async (text: string) => {
    await runtime.submit(address, TypedValue.of(stringType, text));
    await runtime.whenIdle();
  };
  try {
    await send("write");
    clock.advance(999);
    await send("read");
    clock.advance(1);
    await send("read");
    assert.deepEqual(seen, [null, 5, null]);
  } finally {
    await stop();
    await server.close();
  }
});

test("messages that arrive while a request is in flight go together in the next batch, in order", async () => {
  const statefun = new StateFun();
  statefun.bind({
    typename: "remote/log",
    specs: [{ name: "entries", type: StateFun.jsonType("test/Entries") }],
    fn(context, message) {
      const entries = (context.storage.entries as number[] | null) ?? [];
      entries.push(message.asInt());
      context.storage.entries = entries;
    },
  });
  const handler = statefun.handler();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let gated = 0;
  const server = await serve(async (req, res) => {
    if (gated++ === 1) await gate; // hold the first real invocation (after the negotiation)
    await handler(req, res);
  });
  const { runtime, stop } = remoteRuntime(endpointYaml("remote", server.url));
  const address = addressOf("remote/log", "x");
  try {
    for (let i = 0; i < 50; i++) await runtime.submit(address, TypedValue.of(intType, i));
    await waitFor(() => gated === 2, 5000, "the first invocation to be held");
    release();
    await runtime.whenIdle();
    const entries = readState(
      runtime,
      address,
      "entries",
      jsonType<number[]>("test/Entries"),
      Date.now(),
    );
    assert.deepEqual(
      entries,
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.ok(server.requests <= 4, `50 messages took ${server.requests} requests`);
  } finally {
    await stop();
    await server.close();
  }
});
