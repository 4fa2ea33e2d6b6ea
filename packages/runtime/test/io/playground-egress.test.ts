/**
 * End-to-end tests of the playground egress over real HTTP against a real runtime: FIFO topics,
 * status codes, long polls (including a client that goes away), validation reasons, and a full
 * topic holding functions back until a client reads.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TypedValue } from "@statefun-ts/protocol";
import { playgroundEgressRecordType } from "@statefun-ts/sdk";
import { createPlaygroundEgress } from "../../src/index.js";
import { SEQUENCE_HEADER } from "../../src/io/playground/egress.js";
import {
  connectError,
  createCapturingLogger,
  expectError,
  linesWith,
  put,
  take,
  withPlayground,
} from "./playground-harness.js";
import { track, waitFor } from "./wait-for.js";

const encoder = new TextEncoder();

function record(topic: unknown, payload: unknown): TypedValue {
  return TypedValue.fromBytes(
    playgroundEgressRecordType.typename,
    encoder.encode(JSON.stringify({ topic, payload })),
  );
}

async function expectPayload(response: Response, payload: string, seq?: number): Promise<void> {
  assert.equal(response.status, 200);
  if (seq !== undefined) assert.equal(response.headers.get(SEQUENCE_HEADER), String(seq));
  assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(await response.text(), payload);
}

async function expectEmpty(response: Response): Promise<void> {
  assert.equal(response.status, 204);
  assert.equal(await response.text(), "");
}

void test("records come out of a topic oldest first, one per GET, numbered, then 204", () =>
  withPlayground({}, async (pg) => {
    const payloads = ["one", "two", "three", "four", "fünf 🎉"];
    for (const payload of payloads)
      assert.equal((await put(pg, "/example/publish/n", payload)).status, 200);
    await pg.runtime.whenIdle();
    for (const [index, payload] of payloads.entries()) {
      await expectPayload(await take(pg, "numbers"), payload, index + 1);
    }
    await expectEmpty(await take(pg, "numbers"));
    await expectEmpty(await take(pg, "greetings"));
  }));

void test("unknown topics get 404, other methods 405, invalid waitMs 400", () =>
  withPlayground({}, async (pg) => {
    await expectError(
      await take(pg, "nope"),
      404,
      "unknown-topic",
      /"greetings", "echo", "numbers".*"nope"/,
    );
    await expectError(await take(pg, ""), 404, "unknown-topic", /found ""/);
    await expectError(await take(pg, "%zz"), 400, "invalid-argument", /percent-encoding/);
    for (const method of ["PUT", "POST", "DELETE"]) {
      const response = await fetch(`${pg.egressUrl}/numbers`, { method });
      assert.equal(response.headers.get("allow"), "GET");
      await expectError(response, 405, "method-not-allowed", new RegExp(`found ${method}`));
    }
    for (const query of [
      "waitMs=-1",
      "waitMs=30001",
      "waitMs=abc",
      "waitMs=",
      "waitMs=1&waitMs=2",
      "waitMs=1.5",
    ]) {
      await expectError(
        await take(pg, `numbers?${query}`),
        400,
        "invalid-argument",
        /waitMs.*0 to 30000/,
      );
    }
  }));

void test("a long poll returns a record published after the GET started", () =>
  withPlayground({}, async (pg) => {
    const polling = track(take(pg, "greetings?waitMs=10000"));
    await waitFor(
      () => linesWith(pg.logs, "long-poll waiting for a record").length === 1,
      "the poll to wait",
    );
    assert.equal(polling.settled(), false);
    await put(pg, "/example/person/Ann", '{"name":"Ann"}', "application/vnd.example/GreetRequest");
    await expectPayload(await polling.promise, "Welcome Ann!");
    await expectEmpty(await take(pg, "greetings"));
  }));

void test("long polls are served in arrival order", () =>
  withPlayground({}, async (pg) => {
    const first = take(pg, "numbers?waitMs=10000");
    await waitFor(
      () => linesWith(pg.logs, "long-poll waiting for a record").length === 1,
      "the first poll",
    );
    const second = take(pg, "numbers?waitMs=10000");
    await waitFor(
      () => linesWith(pg.logs, "long-poll waiting for a record").length === 2,
      "the second poll",
    );
    await put(pg, "/example/publish/n", "a");
    await put(pg, "/example/publish/n", "b");
    await expectPayload(await first, "a");
    await expectPayload(await second, "b");
  }));

void test("a long poll that times out gets 204", () =>
  withPlayground({}, async (pg) => {
    await expectEmpty(await take(pg, "numbers?waitMs=30"));
    await put(pg, "/example/publish/n", "after");
    await expectPayload(await take(pg, "numbers?waitMs=5000"), "after");
  }));

void test("a long-poll client that disconnects consumes nothing", () =>
  withPlayground({}, async (pg) => {
    const abort = new AbortController();
    const polling = take(pg, "numbers?waitMs=10000", abort.signal);
    await waitFor(
      () => linesWith(pg.logs, "long-poll waiting for a record").length === 1,
      "the poll to wait",
    );
    abort.abort();
    await assert.rejects(polling, { name: "AbortError" });
    await waitFor(
      () => linesWith(pg.logs, "long-poll client went away before a record arrived").length === 1,
      "the egress to notice the disconnect",
    );
    await put(pg, "/example/publish/n", "kept");
    await pg.runtime.whenIdle();
    await expectPayload(await take(pg, "numbers"), "kept");
  }));

void test("validate returns the reason a record is refused", () => {
  const egress = createPlaygroundEgress({ port: 0, topics: ["t", "u"], maxQueuedPerTopic: 2 });
  assert.equal(egress.validate(record("t", "ok")), undefined);
  assert.match(
    egress.validate(TypedValue.fromBytes("example/Other", encoder.encode("{}"))) ?? "",
    /expected a record of type io\.statefun\.playground\/EgressRecord, found example\/Other/,
  );
  const typename = playgroundEgressRecordType.typename;
  assert.match(
    egress.validate(TypedValue.fromBytes(typename, encoder.encode("{nope"))) ?? "",
    /invalid JSON/,
  );
  assert.match(
    egress.validate(TypedValue.fromBytes(typename, new Uint8Array([0xff, 0xfe]))) ?? "",
    /not UTF-8/,
  );
  assert.match(egress.validate(TypedValue.absent(typename)) ?? "", /found no value/);
  assert.match(
    egress.validate(TypedValue.fromBytes(typename, encoder.encode("[]"))) ?? "",
    /found an array/,
  );
  assert.match(egress.validate(record("t", 5)) ?? "", /found payload a number/);
  assert.match(egress.validate(record(undefined, "x")) ?? "", /found no topic/);
  assert.match(
    egress.validate(record("v", "x")) ?? "",
    /topic "v" is not one of the egress's topics \(t, u\)/,
  );
  egress.publish([record("t", "1"), record("t", "2")]);
  assert.match(
    egress.validate(record("t", "3")) ?? "",
    /topic "t" holds 2 records.*maxQueuedPerTopic/,
  );
  assert.equal(egress.validate(record("u", "3")), undefined, "other topics are not affected");
});

void test("a function emitting to a full topic is retried until a GET makes room", () =>
  withPlayground({ maxQueuedPerTopic: 2 }, async (pg) => {
    // One at a time: a batch is validated record by record, so p2 and p3 batched together could
    // both pass while the topic holds one record.
    for (const payload of ["p1", "p2", "p3"]) {
      assert.equal((await put(pg, "/example/publish/n", payload)).status, 200);
      if (payload !== "p3") await pg.runtime.whenIdle();
    }
    await waitFor(() => pg.runtime.failures().length === 1, "the third invocation to fail");
    const failure = pg.runtime.failures()[0];
    assert.equal(failure?.address.typename, "example/publish");
    assert.match((failure?.error as Error).message, /topic "numbers" holds 2 records/);
    assert.ok((failure?.attempts ?? 0) >= 1);
    await expectPayload(await take(pg, "numbers"), "p1");
    await waitFor(() => pg.runtime.failures().length === 0, "the retry to succeed");
    await pg.runtime.whenIdle();
    await expectPayload(await take(pg, "numbers"), "p2");
    await expectPayload(await take(pg, "numbers"), "p3");
    await expectEmpty(await take(pg, "numbers"));
  }));

void test("stop answers waiting polls 503 and closes the port; describe() reports the topics", () =>
  withPlayground({}, async (pg) => {
    const port = pg.egress.address().port;
    assert.deepEqual(pg.egress.describe(), {
      kind: "io.statefun.playground.v1/egress",
      host: "127.0.0.1",
      port,
      topics: ["greetings", "echo", "numbers"],
    });
    const started = linesWith(pg.logs, "playground egress listening");
    assert.equal(started[0]?.fields.port, port);
    const polling = take(pg, "echo?waitMs=10000");
    await waitFor(
      () => linesWith(pg.logs, "long-poll waiting for a record").length === 1,
      "the poll to wait",
    );
    await put(pg, "/example/publish/n", "left behind");
    await pg.runtime.whenIdle();
    await pg.runtime.stop();
    await expectError(await polling, 503, "shutdown", /stopping/);
    assert.equal(await connectError(port), "ECONNREFUSED");
    const stopped = linesWith(pg.logs, "playground egress stopped; records never read are lost");
    assert.deepEqual(stopped[0]?.fields.undelivered, { numbers: 1 });
  }));

void test("egress lifecycle and options are checked", async () => {
  const egress = createPlaygroundEgress({ port: 0, host: "127.0.0.1", topics: ["a", "a"] });
  assert.deepEqual(egress.describe().topics, ["a"]);
  assert.throws(
    () => egress.address(),
    /cannot get the address of a playground egress that is created/,
  );
  await egress.start({
    logger: createCapturingLogger(),
    durable: false,
    whenDurable: () => Promise.resolve(),
  });
  await assert.rejects(
    egress.start({
      logger: createCapturingLogger(),
      durable: false,
      whenDurable: () => Promise.resolve(),
    }),
    /that is running \(expected created\)/,
  );
  await egress.stop();
  assert.throws(
    () => createPlaygroundEgress({ port: 0, topics: [""] }),
    /option topics: expected non-empty topic names/,
  );
  assert.throws(
    () => createPlaygroundEgress({ port: 0, topics: [], maxQueuedPerTopic: -1 }),
    /maxQueuedPerTopic/,
  );
});
